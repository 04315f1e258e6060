"""Settings › Webhook deliveries (admins only): every outgoing webhook with its status,
dead letters included, the last error, and "retry now"."""

import json

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from accord.admin.views import formatters as fmt
from accord.admin.views.audit import ReadOnlyView, error_text
from accord.admin.views.gate import current_user
from accord.core.models.webhooks import DELIVERY_STATES, WebhookDelivery
from accord.core.services import webhooks as service

STATUS_CSS = {"dead": "danger", "pending": "warning", "delivering": "info", "done": "success"}
MAX_RETRY = 500


def status_badge(view, context, model, name):
    return Markup('<span class="badge badge-{}">{}</span>').format(
        STATUS_CSS.get(model.status, "secondary"), model.status
    )


def body_text(view, context, model, name):
    try:
        text = json.dumps(json.loads(model.body), ensure_ascii=False, indent=1, sort_keys=True)
    except ValueError:
        text = model.body
    return Markup("<pre>{}</pre>").format(text)


class WebhookDeliveryView(ReadOnlyView):
    can_export = False  # bodies may hold record data; the list is for diagnosis
    details_template = "accord/webhook_details.html"
    column_labels = {
        "created_at": _l("Created"),
        "source": _l("Source"),
        "event_id": _l("Event id"),
        "url": _l("URL"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "next_attempt_at": _l("Next attempt"),
        "last_attempt_at": _l("Last attempt"),
        "last_status_code": _l("Last HTTP status"),
        "last_error": _l("Last error"),
        "delivered_at": _l("Delivered"),
        "lease_until": _l("Leased until"),
        "body": _l("Body"),
        "id": _l("Delivery id"),
    }
    # Never the secret.
    column_list = [
        "created_at",
        "source",
        "url",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    column_details_list = [
        "id",
        "event_id",
        *column_list[:-2],
        "last_attempt_at",
        "lease_until",
        "delivered_at",
        "last_error",
        "body",
    ]
    column_formatters = {
        "status": status_badge,
        "url": fmt.short_text(60),
        "last_error": fmt.short_text(60),
    }
    column_formatters_detail = {"status": status_badge, "last_error": error_text, "body": body_text}
    column_searchable_list = ["event_id", "source"]
    search_label = _l("Event id, source")
    column_filters = [
        FilterEqual(
            WebhookDelivery.status, _l("Status"), options=[(s, s) for s in DELIVERY_STATES]
        ),
        WebhookDelivery.source,
        WebhookDelivery.created_at,
    ]

    def record_history(self, record):
        return []

    def can_retry(self, record):
        return record.status in ("dead", "pending")

    def _retry(self, ids):
        if len(ids) > MAX_RETRY:
            abort(400)
        retried = service.retry_now(current_user(), ids)
        if retried:
            flash(
                ngettext(
                    "One delivery will be attempted again now.",
                    "%(num)s deliveries will be attempted again now.",
                    len(retried),
                ),
                "success",
            )
        else:
            flash(gettext("Only dead or waiting deliveries can be retried."), "warning")
        return retried

    @action(
        "retry",
        _l("Retry now"),
        _l("Attempt the selected dead or waiting deliveries again now?"),
    )
    def action_retry(self, ids):
        self._retry([self.get_one(i).id for i in ids])

    @expose("/retry/", methods=("POST",))
    def retry_view(self):
        record = self.get_one(request.args.get("id"))
        self._retry([record.id])
        return redirect(self.get_url(".details_view", id=record.id))


def webhook_views(category):
    return [
        WebhookDeliveryView(
            WebhookDelivery,
            _l("Webhook deliveries"),
            category=category,
            endpoint="webhook_delivery",
            url="webhook_delivery",
        )
    ]
