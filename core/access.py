"""The access policy (DESIGN.md §5): one table, `visible()` for reads, `can()` for writes.

Every surface — back office, CLI, importers, jobs, plugins, the API — asks here.
"""

from accord.core.models import TrashableRecord, User, utcnow

ADMIN, MANAGER, NORMAL, RESTRICTED = "admin", "manager", "normal", "restricted"

# The policy table. Values: "all", "own" (owned by the user), "own_or_unowned",
# "tree" (the user and everyone reporting to them, transitively), "self", or False.
POLICY = {
    ADMIN: {
        "view": "all",
        "edit": "all",
        "delete": "all",
        "report": "all",
        "assign_to": "anyone",
        "import": True,
        "export": True,
        "settings": True,
    },
    MANAGER: {
        "view": "all",
        "edit": "all",
        "delete": "all",
        "report": "tree",
        "assign_to": "tree",
        "import": True,
        "export": True,
        "settings": False,
    },
    NORMAL: {
        "view": "all",
        "edit": "all",
        "delete": "own",
        "report": "self",
        "assign_to": "self",
        "import": False,
        "export": True,
        "settings": False,
    },
    RESTRICTED: {
        "view": "own_or_unowned",
        "edit": "own_or_unowned",
        "delete": False,
        "report": "self",
        "assign_to": "self",
        "import": False,
        "export": False,
        "settings": False,
    },
}

RECORD_ACTIONS = ("view", "edit", "delete")
GLOBAL_ACTIONS = ("import", "export", "settings")


class Forbidden(Exception):
    """The policy refuses this action."""


def _rules(user):
    if user is None or not getattr(user, "active", False):
        return None
    return POLICY.get(user.role)


def subordinate_ids(user):
    """Ids of everyone reporting to `user`, directly or through others (fresh each call)."""
    found, frontier = set(), {user.id}
    while frontier:
        rows = User.select(User.id).where(User.manager.in_(list(frontier)))
        frontier = {r.id for r in rows} - found - {user.id}
        found |= frontier
    return found


def tree_ids(user):
    return {user.id} | subordinate_ids(user)


def report_scope(user):
    """Owner ids whose activity and figures `user` may see; None means everyone."""
    rules = _rules(user)
    if rules is None:
        return set()
    scope = rules["report"]
    if scope == "all":
        return None
    if scope == "tree":
        return tree_ids(user)
    return {user.id}


def visible(query, user, model=None):
    """Scope any select over an owned model to what `user` may see."""
    model = model or query.model
    rules = _rules(user)
    if rules is None:
        return query.where(False)
    if issubclass(model, TrashableRecord):
        query = query.where(model.deleted_at.is_null())
    scope = rules["view"]
    if scope == "all":
        return query
    if scope == "own_or_unowned":
        return query.where((model.owner == user.id) | model.owner.is_null())
    return query.where(False)


def visible_arms(query, user, model=None):
    """visible(query, …) as disjoint queries, one per range of owners, when the user's
    scope is more than one ("own_or_unowned": theirs, and nobody's); else None. Each
    arm can walk an (owner, sort) index in order, where their OR cannot."""
    model = model or query.model
    rules = _rules(user)
    if rules is None or rules["view"] != "own_or_unowned":
        return None
    if issubclass(model, TrashableRecord):
        query = query.where(model.deleted_at.is_null())
    return [query.where(model.owner == user.id), query.where(model.owner.is_null())]


def sees_all(user):
    """Does `user` see every record (no scope narrows their lists)?"""
    rules = _rules(user)
    return rules is not None and rules["view"] == "all"


def can_see(user, record):
    return seer(user)(record)


def seer(user):
    """can_see(user, ·) as a function of the record, the user's rules looked up once (a
    list page checks a hundred linked records)."""
    rules = _rules(user)
    if rules is None:
        return lambda record: False
    scope = rules["view"]

    def sees(record):
        if record is None or getattr(record, "deleted_at", None) is not None:
            return False
        return _matches(scope, user, record)

    return sees


def _matches(scope, user, record):
    owner_id = getattr(record, "owner_id", None)
    if scope == "all":
        return True
    if scope == "own":
        return owner_id == user.id
    if scope == "own_or_unowned":
        return owner_id is None or owner_id == user.id
    return False


def can(user, action, record=None):
    """May `user` do `action` (view/edit/delete on a record; import/export/settings)?"""
    rules = _rules(user)
    if rules is None:
        return False
    if action in GLOBAL_ACTIONS:
        return bool(rules[action])
    if action == "create":
        return True
    if action in RECORD_ACTIONS:
        if record is None:
            return bool(rules[action])
        if not can_see(user, record):
            return False
        scope = rules[action]
        return bool(scope) and _matches(scope, user, record)
    raise ValueError(f"unknown action {action!r}")


def assignable_ids(user):
    """Ids `user` may make the owner of a record; None means anyone."""
    rules = _rules(user)
    if rules is None:
        return set()
    scope = rules["assign_to"]
    if scope == "anyone":
        return None
    if scope == "tree":
        return tree_ids(user)
    return {user.id}


def can_assign(user, owner_id, record=None):
    """May `user` set the owner of `record` (None: a new record) to `owner_id`?"""
    rules = _rules(user)
    if rules is None:
        return False
    current = getattr(record, "owner_id", None) if record is not None else None
    if record is not None and owner_id == current:
        return True  # not a change
    allowed = assignable_ids(user)
    if owner_id is None:
        # Only those who may assign anyone under them may leave a record unassigned.
        return rules["assign_to"] in ("anyone", "tree")
    return allowed is None or owner_id in allowed


def default_owner_id(user):
    return user.id if user is not None else None


def check(user, action, record=None):
    if not can(user, action, record):
        raise Forbidden(action)


def claim(model, record_id, user):
    """Take an unowned record as `user`: one conditional UPDATE, so one claimer wins."""
    rules = _rules(user)
    if rules is None:
        return False
    query = model.update(owner=user.id, updated_at=utcnow()).where(
        (model.id == record_id) & model.owner.is_null()
    )
    if issubclass(model, TrashableRecord):
        query = query.where(model.deleted_at.is_null())
    return query.execute() == 1


# Users and settings ----------------------------------------------------------


def can_manage_users(actor):
    """Only admins administer users and roles, so no one can raise their own rights."""
    rules = _rules(actor)
    return bool(rules and rules["settings"])


def check_user_change(actor, target, new_role=None, new_active=None):
    """Refuse any user change that would escalate rights or lock every admin out."""
    if not can_manage_users(actor):
        raise Forbidden("users")
    demoting = (
        target is not None
        and target.role == ADMIN
        and ((new_role is not None and new_role != ADMIN) or new_active is False)
    )
    if demoting:
        others = (
            User.select().where((User.role == ADMIN) & User.active & (User.id != target.id)).count()
        )
        if not others:
            raise Forbidden("the last active admin cannot be demoted or deactivated")
