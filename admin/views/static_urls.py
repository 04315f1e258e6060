"""Flask-Admin's static file URLs (its `admin/static.html` macro), built once per app.

Every back-office page links some twenty scripts and stylesheets through url_for; the
URLs only change with the deployment's script root."""

from flask import current_app, request, url_for


def static_url(endpoint, kwargs):
    """`{{ accord_static_url(admin_view.admin.endpoint, kwargs) }}`"""
    cache = current_app.extensions.setdefault("accord_static_urls", {})
    key = (request.script_root, endpoint, tuple(sorted(kwargs.items())))
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(f"{endpoint}.static", **kwargs)
    return url
