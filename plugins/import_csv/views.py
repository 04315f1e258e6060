"""Back-office pages (filled in below)."""


def import_view():
    from flask_admin import BaseView, expose

    from accord.admin.views.gate import GateMixin

    class ImportView(GateMixin, BaseView):
        access_policy = "authenticated"

        @expose("/")
        def index(self):
            return "import"

    return ImportView(name="Import", endpoint="import_csv", url="/admin/import")
