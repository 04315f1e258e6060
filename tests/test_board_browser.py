"""The deal board in a real browser: drag and drop, the reason dialog, the Move menu."""

import datetime as dt

import pytest

from accord.core.models import Deal, LossReason, Stage
from accord.core.services import records
from tests.test_browser import OUTPUT, browser, live_server, log_in, pytestmark, watch_errors

__all__ = ["browser", "live_server", "pytestmark"]


def stage(name):
    return Stage.get(Stage.name == name)


@pytest.fixture
def board_world(world):
    a = world.users["A"]
    n1 = world.users["N1"]
    company = world.record("company", "N1")
    for number, (name, value, where) in enumerate(
        [
            ("Website redesign", "12500", "Qualified"),
            ("Support contract", "4800", "Quote"),
            ("Annual licences", "31000", "Proposal"),
            ("Pilot project", "2500", "Negotiation"),
            ("Training days", "3600", "For payment"),
        ]
    ):
        records.create(
            a,
            Deal,
            {
                "name": name,
                "value": value,
                "stage": stage(where).id,
                "organization": company.id,
                "hot": number % 2 == 0,
                "estimated_close_date": dt.date.today() + dt.timedelta(days=number * 9 - 10),
            },
            owner=n1,
        )
    return world


def column_of(page, deal):
    return page.eval_on_selector(
        f"#deal-{deal.id}", "el => el.closest('.accord-column').dataset.stage"
    )


def wait_in_column(page, deal, target):
    page.wait_for_function(
        "([id, stage]) => { const card = document.getElementById('deal-' + id);"
        " return card && card.closest('.accord-column').dataset.stage === String(stage); }",
        arg=[deal.id, target.id],
    )


def test_drag_cards_across_the_board(browser, live_server, board_world):
    world = board_world
    deal = world.record("deal", "N1")
    other = world.record("deal", None)
    third = world.record("deal", "N3")
    quote, lost, won = stage("Quote"), stage("Lost"), stage("Won")
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "n1@world.test")
    page.goto(f"{live_server}/admin/board/")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "board.png"), full_page=True)

    # Drag to another column: saved, moved, the column's figures follow.
    page.drag_and_drop(f"#deal-{deal.id}", f'.accord-column[data-stage="{quote.id}"]')
    wait_in_column(page, deal, quote)
    assert Deal.get_by_id(deal.id).stage_id == quote.id
    head = page.text_content(f'.accord-column[data-stage="{quote.id}"] .accord-count')
    assert head.strip() == "2"
    total = page.text_content(f'.accord-column[data-stage="{quote.id}"] .accord-total')
    assert total.strip() == "€5,800.00"

    # Drop on Lost: the dialog asks why; cancelling leaves the card where it was.
    page.drag_and_drop(f"#deal-{deal.id}", f'.accord-dropzone[data-stage="{lost.id}"]')
    page.wait_for_selector("#accord-reason-dialog[open]")
    assert "Why was Deal of N1 lost?" in page.text_content("#accord-reason-title")
    page.click('#accord-reason-dialog [data-action="cancel"]')
    assert column_of(page, deal) == str(quote.id)
    assert Deal.get_by_id(deal.id).stage_id == quote.id

    # Again, confirming without a reason is refused; with one the deal closes.
    page.drag_and_drop(f"#deal-{deal.id}", f'.accord-dropzone[data-stage="{lost.id}"]')
    page.wait_for_selector("#accord-reason-dialog[open]")
    page.click("#accord-reason-dialog button[type=submit]")
    assert page.is_visible("#accord-reason-error")
    page.screenshot(path=str(OUTPUT / "board-reason.png"))
    reason = LossReason.get(name="Timing")
    page.select_option("#accord-reason-lost", str(reason.id))
    page.click("#accord-reason-dialog button[type=submit]")
    page.wait_for_selector(f"#deal-{deal.id}", state="detached")
    closed = Deal.get_by_id(deal.id)
    assert (closed.stage_id, closed.loss_reason_id) == (lost.id, reason.id)

    # Won needs no reason.
    page.drag_and_drop(f"#deal-{other.id}", f'.accord-dropzone[data-stage="{won.id}"]')
    page.wait_for_selector(f"#deal-{other.id}", state="detached")
    assert Deal.get_by_id(other.id).stage_id == won.id
    assert "is won" in page.text_content("#accord-board-message")

    # The keyboard way: the card's Move menu, enhanced to move in place.
    page.click(f"#deal-{third.id} summary")
    page.screenshot(path=str(OUTPUT / "board-move-menu.png"))
    page.click(f'#deal-{third.id} button[name=stage][value="{quote.id}"]')
    wait_in_column(page, third, quote)
    assert Deal.get_by_id(third.id).stage_id == quote.id
    page.screenshot(path=str(OUTPUT / "board-after.png"), full_page=True)
    assert problems == [], problems
    context.close()


def test_settings_and_list_pages_render_cleanly(browser, live_server, board_world):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "a@world.test")
    for path, name in (
        ("/admin/deal/", "deal-list.png"),
        ("/admin/pipeline/", "pipelines.png"),
        (f"/admin/stage/?pipeline={stage('Won').pipeline_id}", "stages.png"),
    ):
        page.goto(f"{live_server}{path}")
        page.screenshot(path=str(OUTPUT / name), full_page=True)
    page.click(f"#stage-row-{stage('Quote').id} summary")
    page.screenshot(path=str(OUTPUT / "stages-remove.png"), full_page=True)
    assert problems == [], problems
    context.close()
