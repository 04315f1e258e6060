"""What an import can fill: the fields of each entity, and the header names that mean them.

Header names are matched after `normalise` (case, accents kept, punctuation ignored), so
"E-mail Address", "email_address" and "Email address" are one name. The aliases cover the
exports of Google Contacts, Outlook, HubSpot, Pipedrive and Zendesk Sell (Base), the
field keys and labels of Accord's own export, and the seeds' languages (en, fr, hu, pl,
sw, tr).
"""

import re
from dataclasses import dataclass

ENTITIES = ("contact", "company", "lead", "deal", "task")
ENTITY_NAMES = {
    "contacts": "contact",
    "people": "contact",
    "companies": "company",
    "leads": "lead",
    "deals": "deal",
    "tasks": "task",
}


@dataclass(frozen=True)
class Target:
    key: str  # the model column (or a pseudo field: full_name, owner)
    label: str
    kind: str  # text, paragraph, email, owner, status, source, company, contact, …
    aliases: tuple = ()


def normalise(header):
    return re.sub(r"[\W_]+", " ", str(header).casefold()).strip()


_PERSON = (
    Target(
        "first_name",
        "First name",
        "text",
        (
            "given name",
            "firstname",
            "first",
            "person first name",
            "prénom",
            "prenom",
            "keresztnév",
            "utónév",
            "imię",
            "imie",
            "jina la kwanza",
            "ad",
            "adı",
        ),
    ),
    Target(
        "last_name",
        "Last name",
        "text",
        (
            "family name",
            "surname",
            "lastname",
            "last",
            "person last name",
            "nom",
            "nom de famille",
            "vezetéknév",
            "családnév",
            "nazwisko",
            "jina la ukoo",
            "soyad",
            "soyadı",
        ),
    ),
    Target(
        "full_name",
        "Full name",
        "full_name",
        (
            "name",
            "full name",
            "display name",
            "person name",
            "contact name",
            "nom complet",
            "név",
            "teljes név",
            "imię i nazwisko",
            "jina",
            "ad soyad",
            "isim",
        ),
    ),
    Target(
        "title",
        "Title",
        "text",
        ("job title", "position", "organization 1 title", "person job title", "fonction"),
    ),
)

_REACH = (
    Target(
        "email",
        "Email",
        "email",
        (
            "e mail",
            "email address",
            "e mail address",
            "e mail 1 value",
            "email 1 value",
            "primary email",
            "work email",
            "person email",
            "person email work",
            "courriel",
            "adresse e mail",
            "e mail cím",
            "email cím",
            "adres e mail",
            "barua pepe",
            "e posta",
            "e posta adresi",
        ),
    ),
    Target(
        "phone",
        "Phone",
        "text",
        (
            "phone number",
            "telephone",
            "business phone",
            "phone 1 value",
            "work phone",
            "primary phone",
            "person phone",
            "person phone work",
            "téléphone",
            "telefon",
            "telefonszám",
            "numer telefonu",
            "simu",
            "namba ya simu",
            "telefon numarası",
        ),
    ),
    Target(
        "mobile",
        "Mobile",
        "text",
        (
            "mobile phone",
            "mobile phone number",
            "cell",
            "cell phone",
            "phone 2 value",
            "person phone mobile",
            "portable",
            "mobil",
            "mobilszám",
            "telefon komórkowy",
            "komórka",
            "simu ya mkononi",
            "cep telefonu",
        ),
    ),
    Target(
        "website",
        "Website",
        "text",
        ("web page", "website url", "url", "web", "site web", "weboldal", "strona www", "tovuti"),
    ),
)

_ADDRESS = (
    Target(
        "street",
        "Street",
        "text",
        (
            "address",
            "street address",
            "business street",
            "address 1 street",
            "address line 1",
            "rue",
            "adresse",
            "utca",
            "cím",
            "ulica",
            "adres",
            "anwani",
            "sokak",
        ),
    ),
    Target(
        "city",
        "City",
        "text",
        (
            "business city",
            "address 1 city",
            "town",
            "ville",
            "város",
            "miasto",
            "mji",
            "şehir",
            "il",
        ),
    ),
    Target(
        "postal_code",
        "Postal code",
        "text",
        (
            "zip",
            "zip code",
            "postcode",
            "post code",
            "business postal code",
            "address 1 postal code",
            "code postal",
            "irányítószám",
            "kod pocztowy",
            "posta kodu",
        ),
    ),
    Target(
        "region",
        "Region",
        "text",
        (
            "state",
            "state region",
            "province",
            "county",
            "business state",
            "address 1 region",
            "région",
            "megye",
            "województwo",
            "mkoa",
            "bölge",
        ),
    ),
    Target(
        "country",
        "Country",
        "text",
        (
            "country region",
            "business country region",
            "address 1 country",
            "pays",
            "ország",
            "kraj",
            "nchi",
            "ülke",
        ),
    ),
)

_OWNER = Target(
    "owner",
    "Owner",
    "owner",
    (
        "owner email",
        "owner_email",
        "contact owner",
        "lead owner",
        "deal owner",
        "company owner",
        "assigned to",
        "assignee",
        "owner email",
        "owner name",
        "person owner",
        "deal owner name",
        "organization owner",
        "propriétaire",
        "tulajdonos",
        "właściciel",
        "mmiliki",
        "sahip",
    ),
)

_COMMON = (
    Target("source", "Source", "source", ("lead source", "original source", "origine")),
    Target(
        "description",
        "Description",
        "paragraph",
        ("notes", "note", "comments", "background", "remarques", "megjegyzés", "notatki"),
    ),
    _OWNER,
)

_COMPANY_NAME = Target(
    "organization",
    "Company",
    "company",
    (
        "company name",
        "organization",
        "organisation",
        "organization name",
        "organization 1 name",
        "person organization",
        "organization name",
        "account name",
        "entreprise",
        "société",
        "cég",
        "cégnév",
        "firma",
        "kampuni",
        "şirket",
    ),
)

TARGETS = {
    "contact": (
        *_PERSON,
        *_REACH,
        *_ADDRESS,
        _COMPANY_NAME,
        Target("customer_status", "Customer status", "customer_status", ("lifecycle stage",)),
        Target("status", "Status", "status", ("contact status", "statut", "státusz")),
        *_COMMON,
    ),
    "company": (
        Target(
            "name",
            "Name",
            "text",
            (
                "company",
                "company name",
                "organization",
                "organization name",
                "organization 1 name",
                "organization name",
                "account name",
                "entreprise",
                "société",
                "cég",
                "cégnév",
                "firma",
                "nazwa firmy",
                "kampuni",
                "şirket",
                "şirket adı",
            ),
        ),
        *_REACH,
        *_ADDRESS,
        Target("customer_status", "Customer status", "customer_status", ("lifecycle stage",)),
        Target("status", "Status", "status", ("statut",)),
        *_COMMON,
    ),
    "lead": (
        *_PERSON,
        Target(
            "organization_name",
            "Organization",
            "text",
            (
                "company",
                "company name",
                "organization",
                "organization 1 name",
                "entreprise",
                "société",
                "cég",
                "firma",
                "kampuni",
                "şirket",
            ),
        ),
        *_REACH,
        *_ADDRESS,
        Target("status", "Status", "status", ("lead status", "statut", "státusz")),
        *_COMMON,
    ),
    "deal": (
        Target("name", "Name", "text", ("deal name", "deal title", "title", "deal", "affaire")),
        Target("value", "Value", "decimal", ("amount", "deal value", "deal amount", "montant")),
        Target("currency", "Currency", "currency", ("deal currency", "devise", "pénznem")),
        Target("pipeline", "Pipeline", "pipeline", ("deal pipeline",)),
        Target("stage", "Stage", "stage", ("deal stage", "étape", "szakasz")),
        Target(
            "contact", "Contact", "contact", ("person", "contact name", "person name", "person")
        ),
        Target("hot", "Hot", "bool", ()),
        Target(
            "estimated_close_date",
            "Estimated close date",
            "date",
            ("close date", "expected close date", "deal expected close date"),
        ),
        Target("probability", "Probability", "percent", ("deal probability", "likelihood")),
        Target("source", "Source", "source", ("deal source",)),
        _OWNER,
    ),
    "task": (
        Target("content", "Content", "paragraph", ("task", "subject", "description", "text")),
        Target("due_at", "Due", "datetime", ("due date", "due at", "deadline", "échéance")),
        Target("done", "Done", "bool", ("completed", "is done", "terminé")),
        Target("contact", "Contact", "contact", ("person", "related to")),
        _OWNER,
    ),
}


# The other input fields of Accord's own export, so that import(export(x)) == x for
# every column a person can set (export.py: the derived ones are written for reading).
_TAGS = Target("tags", "Tags", "tags", ("labels", "étiquettes", "címkék", "tagi"))
_MORE = {
    "contact": (_TAGS,),
    "company": (_TAGS,),
    "lead": (_TAGS,),
    "deal": (
        Target("organization", "Company", "company", ("deal organization", "organization name")),
        Target("loss_reason", "Loss reason", "loss_reason", ("lost reason",)),
        Target("unqualified_reason", "Unqualified reason", "unqualified_reason", ()),
        _TAGS,
    ),
    "task": (
        Target("reminder", "Reminder", "reminder", ()),
        Target("action_type", "Action type", "action_type", ("type", "activity type")),
        Target("status", "Status", "status", ("task status",)),
        Target("lead", "Lead", "lead", ()),
        Target("deal", "Deal", "deal", ()),
    ),
}
# The record's id (Accord's own export writes it): used only to match for an update.
RECORD_ID = Target("id", "ID", "record_id", ("accord id",))
for _entity in TARGETS:
    TARGETS[_entity] = (*TARGETS[_entity], *_MORE[_entity], RECORD_ID)


def targets(entity):
    return {t.key: t for t in TARGETS[entity]}


def alias_index(entity, custom_definitions=()):
    """normalised header -> target key (custom fields as "custom.<key>")."""
    index = {}
    for target in TARGETS[entity]:
        for name in (*target.aliases, target.label):
            index.setdefault(normalise(name), target.key)
    # Keys last: a field key always wins over an alias of another field.
    for target in TARGETS[entity]:
        index[normalise(target.key)] = target.key
    for definition in custom_definitions:
        key = f"custom.{definition.key}"
        for name in (definition.label, definition.key, key):
            index[normalise(name)] = key
    # Zendesk Sell / Pipedrive style prefixes: "Person - Email", "Deal - Title".
    return index


_PREFIX = re.compile(r"^(person|deal|organization|organisation|contact|lead|company|task) ")


def auto_map(entity, header, custom_definitions=()):
    """[target key or None] for each header cell; each target is used at most once."""
    index = alias_index(entity, custom_definitions)
    used, result = set(), []
    for cell in header:
        name = normalise(cell)
        key = index.get(name)
        if key is None and _PREFIX.match(name):
            key = index.get(_PREFIX.sub("", name))
        if key in used:
            key = None
        if key:
            used.add(key)
        result.append(key)
    return result
