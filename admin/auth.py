"""Login, logout and the session (replaced by the auth work)."""

from flask_login import LoginManager


def init_auth(app):
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: None)
