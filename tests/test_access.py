"""The access policy at the core and service layer (SECURITY-CHECKS B8-B11), and a sweep
comparing accord.core.access with the independent oracle for every world user and record."""

import threading

import pytest

from accord.core import access
from accord.core.db import database
from accord.core.models import Activity, Contact, Deal, Lead, Task, User
from accord.core.services import Forbidden, NotFound, ValidationError, records, users
from tests.oracle import expected, expected_assign, expected_report_ids
from tests.world import MODEL_OF, World, build_world, make_user

# DESIGN.md §5, the global rows of the table: (import, export, settings) per role.
GLOBAL_RIGHTS = {
    "admin": (True, True, True),
    "manager": (True, True, False),
    "normal": (False, True, False),
    "restricted": (False, False, False),
}


@pytest.fixture
def full_world(rt, tmp_path):
    """World W with documents, and two trashed records (hidden from everyone)."""
    w = build_world(upload_dir=tmp_path / "uploads")
    for entity in ("deal", "lead"):
        records.delete(w.A, w.record(entity, "N4"))
        w.records[(entity, "N4")] = MODEL_OF[entity].get_by_id(w.record(entity, "N4").id)
    return w


@pytest.fixture
def people(rt):
    """World W's users without its records: the B8/B11 checks need no records, and
    building the records costs ~120 commits (slow on PostgreSQL)."""
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
    return w


def snapshot(record):
    return dict(type(record).get_by_id(record.id).__data__)


# B8: manager scope is transitive and follows a change of manager -------------------------


def test_b8_manager_scope_is_transitive(people):
    w = people
    tree = {w.M.id, w.N1.id, w.N2.id, w.N3.id}
    assert access.report_scope(w.M) == tree
    assert access.subordinate_ids(w.M) == tree - {w.M.id}
    assert access.assignable_ids(w.M) == tree
    assert access.can_assign(w.M, w.N3.id)
    assert not access.can_assign(w.M, w.N4.id)
    assert access.report_scope(w.N1) == {w.N1.id}  # a normal user reports on self only
    # Through the service: M hands an unowned deal to N3, two levels down.
    deal = records.create(w.A, Deal, {"name": "Unowned"}, owner=None)
    deal = records.assign(w.M, deal, w.N3.id)
    assert Deal.get_by_id(deal.id).owner_id == w.N3.id


def test_b8_scope_follows_a_change_of_manager_on_the_next_call(people):
    w = people
    manager = w.M  # the same object throughout: nothing may be cached on it
    assert w.N3.id in access.report_scope(manager)
    users.update_user(w.A, w.N3, manager=w.N4.id)
    assert w.N3.id not in access.report_scope(manager)
    assert w.N3.id not in access.assignable_ids(manager)
    deal = records.create(w.A, Deal, {"name": "Unowned"}, owner=None)
    with pytest.raises(Forbidden):
        records.assign(manager, deal, w.N3.id)
    assert Deal.get_by_id(deal.id).owner_id is None
    # Moving N1 away takes N1's whole subtree with it.
    users.update_user(w.A, w.N3, manager=w.N1.id)
    users.update_user(w.A, w.N1, manager=None)
    assert access.report_scope(manager) == {w.M.id, w.N2.id}


# B9: claiming is atomic -------------------------------------------------------------------


def test_b9_twenty_concurrent_claims_one_winner(rt):
    claimers = [make_user(f"R{i:02d}", "restricted") for i in range(20)]
    admin = make_user("A", "admin")
    lead = records.create(admin, Lead, {"last_name": "Up for grabs"}, owner=None)
    if not database.is_closed():
        database.close()  # each thread opens its own connection
    start = threading.Barrier(len(claimers))
    outcomes = {}

    def claim(user):
        database.connect(reuse_if_open=True)
        try:
            mine = Lead.get_by_id(lead.id)  # every claimer saw it unowned
            start.wait(timeout=30)
            try:
                outcomes[user.id] = records.claim(user, mine)
            except NotFound:
                outcomes[user.id] = "not found"  # loaded after the winner's commit
        except Exception as exc:  # reported below rather than lost in the thread
            outcomes[user.id] = exc
        finally:
            database.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in claimers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    database.connect(reuse_if_open=True)
    assert len(outcomes) == 20
    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert not errors, errors
    winners = [uid for uid, won in outcomes.items() if won is True]
    assert len(winners) == 1, outcomes
    assert Lead.get_by_id(lead.id).owner_id == winners[0]
    claimed = Activity.select().where(
        (Activity.verb == "claimed") & (Activity.record_id == lead.id)
    )
    assert [(a.actor_id, a.changes) for a in claimed] == [
        (winners[0], {"owner": [None, winners[0]]})
    ]


def test_b9_a_claimed_record_cannot_be_claimed_again(world):
    w = world
    lead = w.record("lead", None)
    assert records.claim(w.R, lead) is True
    other = make_user("R2", "restricted")
    with pytest.raises(NotFound):  # now R's: the other restricted user cannot see it
        records.claim(other, Lead.get_by_id(lead.id))
    assert records.claim(w.N1, Lead.get_by_id(lead.id)) is False
    assert Lead.get_by_id(lead.id).owner_id == w.R.id


# B10: mass assignment at the service layer -----------------------------------------------


OWNER_BEYOND_RIGHTS = [
    ("N1", "N2"),  # normal: self only
    ("N1", None),  # normal cannot leave a record unassigned
    ("R", "N1"),  # restricted: self only
    ("R", None),
    ("M", "N4"),  # manager: not outside the tree
    ("D", "D"),  # deactivated: nothing at all
]


def test_b10_owner_beyond_rights_is_forbidden(world):
    w = world
    for actor, owner in OWNER_BEYOND_RIGHTS:
        user = w.users[actor]
        owner_id = w.users[owner].id if owner else None
        before = Deal.select().count()
        with pytest.raises(Forbidden):
            records.create(user, Deal, {"name": "Mine"}, owner=owner_id)
        assert Deal.select().count() == before, (actor, owner)
        # And re-assigning an existing record the user can edit.
        record = w.record("deal", None) if actor == "R" else w.record("deal", "N3")
        snap = snapshot(record)
        with pytest.raises(Forbidden):
            records.assign(user, record, owner_id if owner_id is not None else w.A.id)
        assert snapshot(record) == snap, (actor, owner)


def test_b10_an_inactive_owner_is_refused(people):
    with pytest.raises(ValidationError) as failure:
        records.create(people.A, Deal, {"name": "To D"}, owner=people.D.id)
    assert set(failure.value.errors) == {"owner"}


PROTECTED_INPUT = [
    ("deal", "id", 999),
    ("deal", "created_at", "2000-01-01 00:00:00"),
    ("deal", "updated_at", "2000-01-01 00:00:00"),
    ("deal", "deleted_at", "2000-01-01 00:00:00"),
    ("deal", "owner", "N1"),
    ("deal", "owner_id", "N1"),
    ("deal", "pipeline", 1),
    ("deal", "pipeline_id", 1),
    ("deal", "closed_at", "2000-01-01 00:00:00"),
    ("deal", "last_stage_change_at", "2000-01-01 00:00:00"),
    ("task", "creator", "N1"),
    ("task", "creator_id", "N1"),
    ("task", "done_at", "2000-01-01 00:00:00"),
    ("lead", "converted_at", "2000-01-01 00:00:00"),
    ("lead", "converted_contact", 1),
]
MINIMAL = {"deal": {"name": "x"}, "task": {"content": "x"}, "lead": {"last_name": "x"}}


def test_b10_protected_fields_are_forbidden(world):
    # One world for every field: building it per case would dominate the run time.
    w = world
    for entity, field, value in PROTECTED_INPUT:
        if isinstance(value, str) and value in w.users:
            value = w.users[value].id
        model = MODEL_OF[entity]
        record = w.record(entity, "N3")
        snap = snapshot(record)
        before = model.select().count()
        for actor in (w.A, w.N3):  # not even an admin sets these through data
            with pytest.raises(Forbidden):
                records.update(actor, model.get_by_id(record.id), {field: value})
            with pytest.raises(Forbidden):
                records.create(actor, model, {**MINIMAL[entity], field: value})
        assert snapshot(record) == snap, field
        assert model.select().count() == before, field


def test_b10_linking_to_an_invisible_record_writes_nothing(world):
    w = world
    hidden_deal = w.record("deal", "N1")
    tasks_before = Task.select().count()
    for key in ("deal", "deal_id"):
        with pytest.raises((ValidationError, NotFound)) as failure:
            records.create(w.R, Task, {"content": "Spy", key: hidden_deal.id})
        if isinstance(failure.value, ValidationError):
            assert set(failure.value.errors) == {"deal"}
    assert Task.select().count() == tasks_before
    own_task = w.record("task", "R")
    snap = snapshot(own_task)
    with pytest.raises((ValidationError, NotFound)):
        records.update(w.R, Task.get_by_id(own_task.id), {"deal": hidden_deal.id})
    assert snapshot(own_task) == snap
    # An unowned deal is visible to R, so that link is fine.
    task = records.create(w.R, Task, {"content": "Ok", "deal": w.record("deal", None).id})
    assert Task.get_by_id(task.id).deal_id == w.record("deal", None).id


def test_b10_restricted_cannot_edit_or_delete_beyond_their_rows(world):
    w = world
    other = w.record("contact", "N1")
    snap = snapshot(other)
    with pytest.raises(Forbidden):
        records.update(w.R, other, {"title": "hacked"})
    with pytest.raises(Forbidden):
        records.delete(w.R, w.record("contact", "R"))  # restricted never deletes
    with pytest.raises(Forbidden):
        records.delete(w.N1, w.record("contact", "N4"))  # normal deletes own only
    assert snapshot(other) == snap
    assert Contact.get_by_id(w.record("contact", "R").id).deleted_at is None


# B11: role administration cannot escalate ------------------------------------------------


def test_b11_non_admins_cannot_create_users(people):
    before = User.select().count()
    for actor in ("M", "N1", "R", "D"):
        for role in ("admin", "normal"):
            with pytest.raises(Forbidden):
                users.create_user(people.users[actor], f"new-{role}@x.test", role=role)
    assert User.select().count() == before


USER_CHANGES_BEYOND_RIGHTS = [
    ("M", "N1", {"role": "admin"}),
    ("M", "N1", {"role": "restricted"}),
    ("M", "N4", {"manager": "M"}),
    ("N1", "N1", {"role": "admin"}),
    ("N1", "N1", {"manager": None}),
    ("N1", "N1", {"active": True}),
    ("R", "R", {"role": "normal"}),
    ("N1", "A", {"active": False}),
    ("N1", "N2", {"first_name": "Renamed"}),
]


def test_b11_non_admins_cannot_change_users(people):
    w = people
    for actor, target, changes in USER_CHANGES_BEYOND_RIGHTS:
        values = {k: (w.users[v].id if v in w.users else v) for k, v in changes.items()}
        user = User.get_by_id(w.users[target].id)
        snap = snapshot(user)
        with pytest.raises(Forbidden):
            users.update_user(w.users[actor], user, **values)
        with pytest.raises(Forbidden):
            access.check_user_change(w.users[actor], user, new_role=values.get("role"))
        assert snapshot(user) == snap, (actor, target, changes)


def test_b11_a_user_edits_their_own_profile_only(people):
    w = people
    users.update_user(w.N1, w.N1, first_name="Nina", signature="Best, Nina")
    assert User.get_by_id(w.N1.id).first_name == "Nina"
    with pytest.raises(Forbidden):
        users.set_password(w.N1, w.N2, "a-long-new-password")
    with pytest.raises(Forbidden):
        users.create_api_token(w.N1, w.N2)


def test_b11_the_last_admin_cannot_be_demoted_or_deactivated(people):
    w = people
    admin = w.A
    for changes in ({"role": "manager"}, {"active": False}):
        with pytest.raises(Forbidden, match="last active admin"):
            users.update_user(admin, User.get_by_id(admin.id), **changes)
    # A deactivated second admin does not count.
    other = users.create_user(admin, "a2@x.test", role="admin")
    users.update_user(admin, other, active=False)
    with pytest.raises(Forbidden):
        users.update_user(admin, User.get_by_id(admin.id), role="normal")
    stored = User.get_by_id(admin.id)
    assert (stored.role, stored.active) == ("admin", True)
    # With another active admin, demotion is allowed and ends the old sessions.
    users.update_user(admin, User.get_by_id(other.id), active=True)
    version = stored.session_version
    users.update_user(User.get_by_id(other.id), stored, role="manager")
    demoted = User.get_by_id(admin.id)
    assert demoted.role == "manager" and demoted.session_version == version + 1


def test_b11_no_reporting_loops(people):
    w = people
    for user, new_manager in [("M", "N3"), ("M", "N1"), ("N1", "N3"), ("N1", "N1")]:
        target = User.get_by_id(w.users[user].id)
        snap = snapshot(target)
        with pytest.raises(ValidationError) as failure:
            users.update_user(w.A, target, manager=w.users[new_manager].id)
        assert set(failure.value.errors) == {"manager"}, (user, new_manager)
        assert snapshot(target) == snap, (user, new_manager)


def test_b11_a_valid_manager_change_is_accepted(people):
    w = people
    users.update_user(w.A, w.N4, manager=w.N3.id)
    assert w.N4.id in access.report_scope(w.M)


# The sweep: core.access against the oracle -----------------------------------------------


def test_sweep_core_access_matches_the_oracle(full_world):
    w = full_world
    all_users = list(User.select())
    targets = [u.id for u in all_users] + [None]
    mismatches = []
    for key, user in w.users.items():
        for (entity, owner_key), record in w.records.items():
            for action in ("view", "edit", "delete"):
                want = expected(user, action, record)
                if access.can(user, action, record) != want:
                    mismatches.append((key, entity, owner_key, action, want))
            if access.can_see(user, record) != expected(user, "view", record):
                mismatches.append((key, entity, owner_key, "can_see"))
            for target in targets:
                if target == record.owner_id:
                    continue  # keeping the owner is not an assignment (oracle has no case)
                want = expected_assign(user, target, all_users)
                if access.can_assign(user, target, record) != want:
                    mismatches.append((key, entity, owner_key, "assign", target, want))
        for target in targets:
            want = expected_assign(user, target, all_users)
            if access.can_assign(user, target) != want:
                mismatches.append((key, "new", "assign", target, want))
        scope = access.report_scope(user)
        # The oracle ignores `active`; a deactivated user has no scope at all.
        want_scope = expected_report_ids(user, all_users) if user.active else set()
        if scope != want_scope:
            mismatches.append((key, "report_scope", scope, want_scope))
        allowed = access.assignable_ids(user)
        if user.active and user.role != "admin":
            want_ids = {t for t in targets if t and expected_assign(user, t, all_users)}
            if allowed != want_ids:
                mismatches.append((key, "assignable_ids", allowed, want_ids))
    assert not mismatches, mismatches[:20]


def test_sweep_visible_matches_the_oracle(full_world):
    w = full_world
    for key, user in w.users.items():
        for model in {Lead, Contact, Deal, *(MODEL_OF[e] for e in ("task", "note"))} | {
            MODEL_OF["appointment"],
            MODEL_OF["document"],
        }:
            seen = {r.id for r in access.visible(model.select(), user, model)}
            want = {r.id for r in model.select() if expected(user, "view", r)}
            assert seen == want, (key, model.__name__)
            assert want or user.role == "restricted" or not user.active, (key, model)


def test_global_rights_follow_the_policy_table(people):
    for key, user in people.users.items():
        want = GLOBAL_RIGHTS[user.role] if user.active else (False, False, False)
        got = tuple(access.can(user, a) for a in ("import", "export", "settings"))
        assert got == want, key
        assert access.can(user, "create") is user.active
    with pytest.raises(ValueError):
        access.can(people.A, "fly")
    assert access.can(None, "view") is False
