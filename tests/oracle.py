"""The policy oracle, written once from DESIGN.md §5 — independently of accord.core.access.

expected(user, action, record) -> bool, for action in view/edit/delete; record is any
owned record (owner_id may be None).
"""


def _tree(user, all_users):
    ids, frontier = {user.id}, {user.id}
    while frontier:
        frontier = {u.id for u in all_users if u.manager_id in frontier} - ids
        ids |= frontier
    return ids


def expected(user, action, record):
    if not user.active:
        return False
    owner = record.owner_id
    own_or_unowned = owner is None or owner == user.id
    if getattr(record, "deleted_at", None) is not None:
        return False
    if user.role in ("admin", "manager"):
        return True
    if user.role == "normal":
        if action in ("view", "edit"):
            return True
        return action == "delete" and owner == user.id
    if user.role == "restricted":
        return action in ("view", "edit") and own_or_unowned
    return False


def expected_assign(user, target_id, all_users):
    """May `user` assign a record to user id `target_id` (None = unassigned)?"""
    if not user.active:
        return False
    if user.role == "admin":
        return True
    if user.role == "manager":
        return target_id is None or target_id in _tree(user, all_users)
    return target_id == user.id


def expected_report_ids(user, all_users):
    """Owner ids whose activity `user` sees; None = everyone."""
    if user.role == "admin":
        return None
    if user.role == "manager":
        return _tree(user, all_users)
    return {user.id}
