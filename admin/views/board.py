"""The deal board at /admin/board/: one kanban per pipeline, a column per active stage.

Each column shows its count and total value (per currency) and its most recently changed
deals; won, lost and unqualified are drop zones, not columns. A card moves by drag and
drop (admin/static/accord/board.js) or, without JavaScript, by the small form on each
card; both POST to /admin/board/move/, which calls services.deals.move_stage. Closing as
lost or unqualified asks for the reason (a dialog, or the /close/ page without JS).

Reads go through access.visible, so a restricted user's board holds only their own and
unowned deals, and the counts and totals are theirs too. The page costs one GROUP BY for
the column figures and one indexed LIMIT query per column, whatever the number of deals.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from peewee import fn

from accord.admin.security import wants_json
from accord.admin.views.base import prefetch
from accord.admin.views.deal_list import stage_list_url
from accord.admin.views.formatters import endpoint_of, link_to, local_date, related
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core import access, deal_totals, i18n
from accord.core.by_ids import select_by_ids
from accord.core.models import Contact, Deal, LossReason, Pipeline, Stage, UnqualifiedReason
from accord.core.rows import model_rows
from accord.core.services import Forbidden, NotFound, ValidationError, deals, records
from accord.core.services import pipelines as pipeline_service

CARDS_PER_COLUMN = 50
CLOSED_ORDER = ("won", "lost", "unqualified")
CLOSE_LABELS = {"won": _l("Won"), "lost": _l("Lost"), "unqualified": _l("Unqualified")}


def _locale(user):
    return getattr(user, "locale", None) or "en"


def money(amount, currency, user, locale=None):
    try:
        return i18n.format_money(amount, currency or "EUR", locale or _locale(user))
    except Exception:  # an odd currency code or locale must not break the board
        return i18n.format_money(amount, "EUR", "en")


def _decimal(value):
    # SQLite sums decimals as floats: back to cents.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def today_for(user):
    try:
        zone = ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except Exception:
        zone = dt.UTC
    return dt.datetime.now(zone).date()


SHOWN_CURRENCIES = 2


def column_figures(user, stages):
    """{stage id: {"count", "total", "short"}} for the deals `user` may see: one GROUP BY
    on (stage, currency) over the indexed stage column. Mixed currencies are summed per
    currency (the most used first); "short" names the first two and counts the rest."""
    ids = [s.id for s in stages]
    sums = {i: [] for i in ids}
    if ids and deal_totals.available():
        for (stage_id, currency), (count, total, *_rest) in deal_totals.sums(user, ids).items():
            sums[stage_id].append((int(count), currency or "EUR", _decimal(total)))
    elif ids:
        query = Deal.select(Deal.stage, Deal.currency, fn.COUNT(Deal.id), fn.SUM(Deal.value)).where(
            Deal.stage.in_(ids)
        )
        query = access.visible(query, user, Deal).group_by(Deal.stage, Deal.currency)
        for stage_id, currency, count, total in query.tuples():
            sums[stage_id].append((count, currency or "EUR", _decimal(total)))
    figures = {}
    for stage_id, rows in sums.items():
        rows.sort(key=lambda row: (-row[0], row[1]))
        texts = [money(total, currency, user) for _n, currency, total in rows]
        texts = texts or [money(0, "EUR", user)]
        short = " + ".join(texts[:SHOWN_CURRENCIES])
        if len(texts) > SHOWN_CURRENCIES:
            rest = len(texts) - SHOWN_CURRENCIES
            short += " " + ngettext("+ %(num)s more currency", "+ %(num)s more currencies", rest)
        figures[stage_id] = {
            "count": sum(row[0] for row in rows),
            "total": " + ".join(texts),
            "short": short,
        }
    return figures


# What a card shows and what the access check reads: not the whole row (custom values,
# addresses), which costs more to build than the card itself on a full board.
CARD_FIELDS = (
    Deal.id, Deal.name, Deal.value, Deal.currency, Deal.hot, Deal.estimated_close_date,
    Deal.stage, Deal.pipeline, Deal.owner, Deal.contact, Deal.organization, Deal.deleted_at,
    Deal.updated_at,
)  # fmt: skip


def column_cards(user, stage):
    """The column's most recently changed deals (index on stage, updated_at)."""
    query = access.visible(Deal.select(*CARD_FIELDS).where(Deal.stage == stage.id), user, Deal)
    return model_rows(
        query.order_by(Deal.updated_at.desc(), Deal.id.desc()).limit(CARDS_PER_COLUMN)
    )


# A card names its contact and company and links them if the viewer may see them.
LINKED_FIELDS = (
    Contact.id, Contact.name, Contact.is_organization, Contact.organization, Contact.owner,
    Contact.deleted_at,
)  # fmt: skip


def lean_prefetch(rows, name, columns):
    """Like base.prefetch for one foreign key, loading only `columns` of the targets."""
    ids = {row.__data__.get(name) for row in rows} - {None}
    if not ids:
        return
    target = type(rows[0])._meta.fields[name].rel_model
    found = {obj.id: obj for obj in select_by_ids(target, sorted(ids), columns)}
    for row in rows:
        obj = found.get(row.__data__.get(name))
        if obj is not None:
            row.__rel__[name] = obj


class CardText:
    """Per-page helpers for the cards: a board shows hundreds, so the texts every card
    repeats are translated once, datasheet URLs are built from one url_for per kind,
    and dates and amounts are formatted once per distinct value."""

    def __init__(self, user):
        self.user = user
        self.labels = {
            "hot_title": gettext("Hot deal"),
            "hot": gettext("Hot"),
            "close": gettext("Estimated close"),
            "close_overdue": gettext("Estimated close, overdue"),
            "unassigned": gettext("Unassigned"),
            "move": gettext("Move"),
        }
        self._move_to = gettext("Move %(deal)s to", deal="\x00")
        self._prefixes, self._dates, self._money = {}, {}, {}
        self._fixed = None

    def move_label(self, deal):
        return Markup(escape(self._move_to).replace("\x00", escape(deal.name)))

    def url(self, endpoint, record_id):
        prefix = self._prefixes.get(endpoint)
        if prefix is None:
            # "/admin/deal/details/?id=0" -> everything before the id
            prefix = url_for(f"{endpoint}.details_view", id=0)[:-1]
            self._prefixes[endpoint] = prefix
        return prefix + str(int(record_id))

    def link(self, record):
        """formatters.link_to for a card: a link if the viewer may see the record."""
        if record is None:
            return ""
        endpoint = endpoint_of(record)
        if endpoint and access.can_see(self.user, record):
            url = self.url(endpoint, record.id)
            return Markup(f'<a href="{escape(url)}">{escape(str(record))}</a>')
        return escape(str(record))

    def date(self, value):
        if value not in self._dates:
            self._dates[value] = local_date(value)
        return self._dates[value]

    def card(self, deal, stage, page):
        """One card's HTML (what the board.html macro rendered, built in Python: a
        board holds hundreds of cards and a Jinja macro call per card was most of
        the page's time). `page` holds the page-wide values: today, can_edit,
        move_url, token, pipeline and move_options."""
        e, t = escape, self.fixed(page)
        person = related(deal, "contact")
        org = related(deal, "organization") or (person and related(person, "organization"))
        closes = deal.estimated_close_date
        overdue = closes and closes < page["today"]
        editable = page["can_edit"](deal)
        draggable = ' draggable="true"' if editable else ""
        deal_id, name = int(deal.id), e(deal.name)
        out = [
            f'<article class="accord-card{" accord-card-hot" if deal.hot else ""}" '
            f'id="deal-{deal_id}" data-deal="{deal_id}" data-stage="{int(stage.id)}" '
            f'data-name="{name}"{draggable}>',
            '<div class="accord-card-top"><a class="accord-card-name" '
            f'href="{e(self.url("deal", deal_id))}" draggable="false">{name}</a>',
        ]
        if deal.hot:
            out.append(t["hot_badge"])
        out.append("</div>")
        if org or person:
            between = " · " if org and person else ""
            out.append(
                f'<div class="accord-card-who">{self.link(org)}{between}{self.link(person)}</div>'
            )
        out.append(
            '<div class="accord-card-facts"><span class="accord-card-value">'
            f"{e(self.money(deal))}</span>"
        )
        if closes:
            out.append(
                f'<span class="accord-card-close{" accord-overdue" if overdue else ""}" '
                f'title="{t["close_overdue"] if overdue else t["close"]}">'
                f"{e(self.date(closes))}</span>"
            )
        out.append('</div><div class="accord-card-owner">')
        if deal.owner_id:
            out.append(str(e(deal.owner.name)))
        else:
            out.append(t["unassigned_span"])
        out.append("</div>")
        if editable:
            out.append(
                f'{t["move_head"]}<input type="hidden" name="deal" value="{deal_id}">'
                f'{t["move_pipeline"]}<div class="accord-move-buttons" role="group" '
                f'aria-label="{e(self.move_label(deal))}">'
                f"{t['move_options'][stage.id]}</div></form></details>"
            )
        out.append("</article>")
        return Markup("".join(out))

    def fixed(self, page):
        """The escaped markup every card of this page repeats, built on the first card."""
        done = self._fixed
        if done is None:
            e, t = escape, self.labels
            done = self._fixed = {
                "hot_badge": f'<span class="badge badge-danger accord-hot" '
                f'title="{e(t["hot_title"])}">{e(t["hot"])}</span>',
                "close": str(e(t["close"])),
                "close_overdue": str(e(t["close_overdue"])),
                "unassigned_span": f'<span class="text-muted">{e(t["unassigned"])}</span>',
                "move_head": f'<details class="accord-card-move"><summary>{e(t["move"])}'
                f'</summary><form method="post" action="{e(page["move_url"])}" '
                'class="accord-move-form">'
                f'<input type="hidden" name="csrf_token" value="{e(page["token"])}">',
                "move_pipeline": '<input type="hidden" name="pipeline" '
                f'value="{e(page["pipeline"].id)}">',
                "move_options": {k: str(e(v)) for k, v in page["move_options"].items()},
            }
        return done

    def money(self, deal):
        key = (deal.value, deal.currency)
        if key not in self._money:
            # By locale name: core.i18n keeps formatted amounts across requests then.
            self._money[key] = money(deal.value, deal.currency, self.user)
        return self._money[key]


def move_options(active, closed):
    """{stage id: the buttons of a card's Move menu, that stage's own one disabled}.

    One submit button per stage rather than a <select>: a board holds hundreds of cards
    and a browser builds hundreds of selects several times slower than plain buttons.
    Built once per column, not once per card."""
    button = Markup(
        '<button type="submit" name="stage" value="{}" data-category="{}" '
        'class="btn btn-sm accord-move-{}"{}>{}</button>'
    )
    closing = Markup("")
    if closed:
        closing = Markup('<span class="accord-move-label">{}</span>{}').format(
            gettext("Close as"),
            Markup("").join(
                button.format(s.id, s.category, s.category, "", CLOSE_LABELS[s.category])
                for s in closed
            ),
        )
    options = {}
    for current in active:
        options[current.id] = (
            Markup('<span class="accord-move-label">{}</span>').format(gettext("Move to"))
            + Markup("").join(
                button.format(
                    s.id,
                    "active",
                    "active",
                    Markup(' disabled aria-current="true"') if s.id == current.id else "",
                    escape(s.name),
                )
                for s in active
            )
            + closing
        )
    return options


class BoardView(GateMixin, BaseView):
    # Any active user; every read and move below is scoped by accord.core.access
    # ("records" is kept for AccessModelView subclasses).
    access_policy = "authenticated"

    def chosen_pipeline(self, value):
        if value in (None, ""):
            return pipeline_service.default_pipeline()
        pipeline = Pipeline.get_or_none(Pipeline.id == parse_id(value))
        if pipeline is None:
            abort(404)
        return pipeline

    @expose("/")
    def index(self):
        user = current_user()
        pipeline = self.chosen_pipeline(request.args.get("pipeline"))
        if pipeline is None:
            return self.render("accord/board.html", pipeline=None, pipelines=[])
        stages = list(pipeline_service.stages(pipeline))
        active = [s for s in stages if s.category == "active"]
        closed = sorted(
            (s for s in stages if s.is_closed), key=lambda s: CLOSED_ORDER.index(s.category)
        )
        figures = column_figures(user, active)
        text = CardText(user)
        cards = {s.id: column_cards(user, s) for s in active}
        shown = [d for rows in cards.values() for d in rows]
        lean_prefetch(shown, "contact", LINKED_FIELDS)
        lean_prefetch(shown, "organization", LINKED_FIELDS)
        prefetch(shown, ["owner"])
        # A deal without its own organization shows its contact's company.
        people = [d.contact for d in shown if d.organization_id is None and d.contact_id]
        lean_prefetch([p for p in people if p is not None], "organization", LINKED_FIELDS)
        page = {
            "today": today_for(user),
            "can_edit": lambda deal: access.can(user, "edit", deal),
            "move_url": url_for(".move"),
            "token": generate_csrf(),
            "pipeline": pipeline,
            "move_options": move_options(active, closed),
        }
        return self.render(
            "accord/board.html",
            card_html=lambda deal, stage: text.card(deal, stage, page),
            user=user,
            pipeline=pipeline,
            pipelines=list(pipeline_service.pipelines()),
            active=active,
            closed=closed,
            figures=figures,
            cards=cards,
            move_options=page["move_options"],
            move_url=page["move_url"],
            token=page["token"],
            today=page["today"],
            more_url=stage_list_url,
            money=text.money,
            text=text,
            link_to=link_to,
            related=related,
            local_date=local_date,
            is_admin=access.can(user, "settings"),
            close_labels=CLOSE_LABELS,
            loss_reasons=list(LossReason.select().order_by(LossReason.name)),
            unqualified_reasons=list(UnqualifiedReason.select().order_by(UnqualifiedReason.name)),
            can_edit=page["can_edit"],
        )

    # Moving a card -----------------------------------------------------------------------

    def back_to_board(self, pipeline_id):
        pipeline = parse_id(pipeline_id)
        return redirect(url_for(".index", pipeline=pipeline) if pipeline else url_for(".index"))

    def refuse(self, status, message, field=None):
        if wants_json():
            response = jsonify(ok=False, error=message, field=field)
            response.status_code = status
            return response
        abort(status)

    @expose("/move/", methods=("POST",))
    def move(self):
        user = current_user()
        form = request.form
        try:
            deal = records.get(Deal, form.get("deal"), user)
        except NotFound:
            return self.refuse(404, gettext("This deal does not exist."))
        if not access.can(user, "edit", deal):
            return self.refuse(403, gettext("You may not move this deal."))
        stage = Stage.get_or_none(Stage.id == parse_id(form.get("stage")))
        if stage is None:
            return self.refuse(400, gettext("Choose a stage."), "stage")
        back = form.get("pipeline") or deal.pipeline_id
        reason = parse_id(form.get("reason"))
        try:
            deals.move_stage(user, deal, stage, reason)
        except ValidationError as exc:
            field, message = next(iter(exc.errors.items()))
            if wants_json():
                return self.refuse(400, message, field)
            flash(message, "error")
            if stage.category in ("lost", "unqualified"):
                return redirect(url_for(".close", deal=deal.id, stage=stage.id, pipeline=back))
            return self.back_to_board(back)
        except Forbidden:
            return self.refuse(403, gettext("You may not move this deal."))
        message = self.moved_message(deal, stage)
        if wants_json():
            board_stages = [
                s
                for s in pipeline_service.stages(parse_id(back) or stage.pipeline_id)
                if s.category == "active"
            ]
            return jsonify(
                ok=True,
                deal=deal.id,
                stage=stage.id,
                category=stage.category,
                message=message,
                columns={str(k): v for k, v in column_figures(user, board_stages).items()},
            )
        flash(message, "success")
        return self.back_to_board(back)

    def moved_message(self, deal, stage):
        if stage.category == "won":
            return gettext("%(deal)s is won. Well done!", deal=deal.name)
        if stage.category == "lost":
            return gettext("%(deal)s is closed as lost.", deal=deal.name)
        if stage.category == "unqualified":
            return gettext("%(deal)s is closed as unqualified.", deal=deal.name)
        return gettext("%(deal)s moved to %(stage)s.", deal=deal.name, stage=stage.name)

    @expose("/close/")
    def close(self):
        """Without JavaScript: the reason a deal is lost or unqualified, asked on a page."""
        user = current_user()
        try:
            deal = records.get(Deal, request.args.get("deal"), user)
        except NotFound:
            abort(404)
        if not access.can(user, "edit", deal):
            abort(403)
        stage = Stage.get_or_none(Stage.id == parse_id(request.args.get("stage")))
        if stage is None or stage.category not in ("lost", "unqualified"):
            abort(404)
        model = LossReason if stage.category == "lost" else UnqualifiedReason
        return self.render(
            "accord/board_close.html",
            deal=deal,
            stage=stage,
            reasons=list(model.select().order_by(model.name)),
            back=parse_id(request.args.get("pipeline")) or deal.pipeline_id,
        )


def board_view():
    return BoardView(_l("Board"), endpoint="board", url="board")


def register(admin):
    """Add the board and list it right after Deals in the menu."""
    view = board_view()
    admin.add_view(view)
    menu = getattr(admin, "_menu", None)
    if not isinstance(menu, list):
        return view
    mine = next((m for m in menu if getattr(m, "_view", None) is view), None)
    deals_item = next(
        (m for m in menu if getattr(getattr(m, "_view", None), "endpoint", None) == "deal"),
        None,
    )
    if mine is not None and deals_item is not None:
        menu.remove(mine)
        menu.insert(menu.index(deals_item) + 1, mine)
    return view
