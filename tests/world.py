"""SECURITY-CHECKS "world W": the users and records every access test runs against."""

import datetime as dt
import io
from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

from accord.core.models import Appointment, Contact, Deal, Document, Lead, Note, Task, User
from accord.core.services import documents, records

PASSWORD = "correct-horse-battery"
_HASH = generate_password_hash(PASSWORD)  # once: scrypt costs ~100 ms a call

OWNERS = ("R", "N1", "N3", "N4", None)
ENTITIES = ("lead", "contact", "company", "deal", "task", "appointment", "note", "document")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    # records[(entity, owner_key)] -> model instance
    records: dict = field(default_factory=dict)

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def record(self, entity, owner_key):
        return self.records[(entity, owner_key)]

    def of_entity(self, entity):
        return [(k[1], r) for k, r in self.records.items() if k[0] == entity]


def make_user(key, role, manager=None, active=True):
    return User.create(
        email=f"{key.lower()}@world.test",
        first_name=key,
        last_name="World",
        role=role,
        manager=manager,
        active=active,
        password_hash=_HASH,
    )


def build_world(upload_dir=None):
    w = World()
    u = w.users
    u["A"] = make_user("A", "admin")
    u["M"] = make_user("M", "manager")
    u["N1"] = make_user("N1", "normal", manager=u["M"])
    u["N2"] = make_user("N2", "normal", manager=u["M"])
    u["N3"] = make_user("N3", "normal", manager=u["N1"])
    u["N4"] = make_user("N4", "normal")
    u["R"] = make_user("R", "restricted")
    u["D"] = make_user("D", "normal", active=False)
    admin = u["A"]
    when = dt.datetime(2030, 1, 1, 9, 0)
    for owner_key in OWNERS:
        owner = u[owner_key] if owner_key else None
        tag = owner_key or "nobody"
        make = lambda model, data, o=owner: records.create(admin, model, data, owner=o)  # noqa: E731
        lead = make(
            Lead, {"first_name": "Lead", "last_name": f"Of{tag}", "email": f"lead.{tag}@x.test"}
        )
        company = make(Contact, {"is_organization": True, "name": f"Company of {tag}"})
        contact = make(
            Contact,
            {
                "first_name": "Person",
                "last_name": f"Of{tag}",
                "email": f"person.{tag}@x.test",
                "organization": company.id,
            },
        )
        deal = make(Deal, {"name": f"Deal of {tag}", "value": "1000", "contact": contact.id})
        task = make(Task, {"content": f"Task of {tag}", "due_at": when, "deal": deal.id})
        appointment = make(
            Appointment,
            {
                "title": f"Meeting of {tag}",
                "starts_at": when,
                "ends_at": when,
                "contact": contact.id,
            },
        )
        note = make(Note, {"content": f"Note of {tag}", "contact": contact.id})
        w.records.update(
            {
                ("lead", owner_key): lead,
                ("company", owner_key): company,
                ("contact", owner_key): contact,
                ("deal", owner_key): deal,
                ("task", owner_key): task,
                ("appointment", owner_key): appointment,
                ("note", owner_key): note,
            }
        )
        if upload_dir is not None:
            doc = documents.store(
                admin,
                upload_dir,
                f"doc-of-{tag}.txt",
                io.BytesIO(f"secret of {tag}".encode()),
                link={"contact": contact.id},
            )
            doc = records.assign(admin, doc, owner.id if owner else None)
            w.records[("document", owner_key)] = doc
    return w


MODEL_OF = {
    "lead": Lead,
    "contact": Contact,
    "company": Contact,
    "deal": Deal,
    "task": Task,
    "appointment": Appointment,
    "note": Note,
    "document": Document,
}
