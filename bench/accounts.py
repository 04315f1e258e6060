"""`python -m bench.accounts EMAIL PASSWORD [EMAIL PASSWORD ...]`

Gives existing demo users a known password, through the user service (the command line
only creates users). The bench logs in as a demo sales person and the demo's restricted
user because they own records: a fresh account would own nothing, and its scoped pages
(own records only) would be unrealistically empty.
"""

import sys

from accord.core import runtime
from accord.core.config import Config
from accord.core.models import User
from accord.core.services import users


def main(argv):
    if not argv or len(argv) % 2:
        raise SystemExit("usage: python -m bench.accounts EMAIL PASSWORD [EMAIL PASSWORD ...]")
    rt = runtime.build(Config.from_env())
    with rt.db.connection_context():
        rt.check_schema()
        for email, password in zip(argv[::2], argv[1::2], strict=True):
            user = User.get_or_none(User.email == email)
            if user is None:
                raise SystemExit(f"no user {email}")
            users.set_password(None, user, password)
            print(f"password set for {user.role} {email}")


if __name__ == "__main__":
    main(sys.argv[1:])
