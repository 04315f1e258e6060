"""Calendar: appointment attendees' RSVP tokens, feed tokens, company logo (issue 5)."""


def apply(db):
    pass
