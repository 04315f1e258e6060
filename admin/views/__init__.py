"""The Flask-Admin back office (replaced by the back-office work)."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme


def init_back_office(app, rt):
    return Admin(app, name="Accord", url="/admin", theme=Bootstrap4Theme(swatch="default"))
