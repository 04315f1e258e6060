"""Security headers and error pages (replaced by the security work)."""


def init_security(app):
    return app
