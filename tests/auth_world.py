"""World W's users without its records: the auth tests need people, not data, and the
records cost ~0.6 s a test on PostgreSQL."""

from tests.world import World, make_user


def build_users():
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
