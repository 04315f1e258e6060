"""Public calendar routes, authenticated by a secret in the URL, never by a session:
the RSVP page of an invitation (/rsvp/<signed token>) and a user's private iCalendar
feed (/calendar/feed/<token>.ics). Anything not valid is a plain 404."""

from flask import Blueprint, Response, abort, render_template, request

from accord.admin.app import current_runtime
from accord.admin.policy import declare
from accord.core import calendar_feed, invitations
from accord.core.services import appointments
from accord.core.services.errors import ValidationError

bp = Blueprint("calendar_public", __name__)


@bp.route("/rsvp/<token>", methods=("GET", "POST"))
@declare("public")
def rsvp(token):
    """GET shows the invitation and two buttons; only the POST records the answer."""
    config = current_runtime().config
    attendee = invitations.attendee_for_token(config, token)
    if attendee is None:
        abort(404)
    done = None
    if request.method == "POST":
        try:
            attendee = appointments.respond(attendee, request.form.get("answer", ""))
        except ValidationError:
            abort(400)
        done = attendee.response
    appointment = attendee.appointment
    owner = appointment.owner if appointment.owner_id else None
    data = invitations.appointment_data(appointment, owner)
    return render_template(
        "accord/calendar/rsvp.html",
        attendee=attendee,
        appointment=appointment,
        when=invitations.when_text(data),
        answer=request.args.get("answer", ""),
        done=done,
    )


@bp.route("/calendar/feed/<token>.ics")
@declare("public")
def feed(token):
    user = calendar_feed.user_for_token(token)
    if user is None:
        abort(404)
    body = calendar_feed.feed_ics(current_runtime().config, user)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="accord.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


def init_calendar_routes(app):
    app.register_blueprint(bp)
