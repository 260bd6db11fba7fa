"""Filing and amending an exercise in a real browser: the assessment appears before filing
(the JS path), and again before filing the amendment."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from registry.models import Notice
from tests import factories
from tests.browser.pages import sign_in, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_sees_the_late_warning_files_then_amends(
    page, live_server, liaison_rs, wb_rta, artifacts
):
    start = factories.local_today(wb_rta) + dt.timedelta(days=41)
    sign_in(page, live_server, "rs-liaison")
    page.get_by_role("link", name="File a notice").first.click()
    page.get_by_label("WB-RTA: Western Balkans Regional Transparency Arrangement").check()
    page.get_by_label("Exercise notice").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File: Exercise notice")

    page.get_by_label("Designation").fill("Morava Shield")
    page.get_by_label("Type of activity").select_option("field_training")
    page.get_by_label("Purpose").fill("Brigade field training")
    page.get_by_label("Level of command").select_option("brigade")
    page.get_by_label("Participating states").select_option(["RS", "HR"])
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill((start + dt.timedelta(days=5)).isoformat())
    page.get_by_label("Area", exact=True).fill("Pasuljanske livade training area")
    page.get_by_label("Area polygon").fill("20.40, 44.70\n20.60, 44.70\n20.60, 44.85")
    page.get_by_label("Troops", exact=True).fill("1500")

    assessment = page.locator("#assessment")
    expect(assessment).to_contain_text("Notifiable under WB-RTA")
    expect(assessment).to_contain_text("Troops: 1,500 (threshold 1,500)")
    expect(assessment).to_contain_text("Late by 1 day if filed today")
    assert Notice.objects.count() == 0  # the preview came before any filing
    snapshot(page, artifacts / "exercise-form-assessment.png", scroll_to=assessment)

    page.get_by_role("button", name="File the notice").click()
    expect(page.get_by_role("status")).to_contain_text("Filed RS-")
    notice = Notice.objects.get()
    expect(page.get_by_role("status")).to_have_text(f"Filed {notice.reference}.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(notice.reference)
    assert re.fullmatch(r"RS-\d{4}-EX-0001", notice.reference)
    assert notice.current_version.timely is False and notice.current_version.days_late == 1
    page.screenshot(path=artifacts / "exercise-filed.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifacts / "exercise-filed-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The amendment: more troops and an earlier start; the warning is shown before filing.
    page.get_by_role("link", name="Amend").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Amend {notice.reference}")
    page.get_by_label("Start date").fill((start - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Troops", exact=True).fill("2600")
    expect(assessment).to_contain_text("Troops: 2,600 (threshold 1,500)")
    expect(assessment).to_contain_text("Late by 3 days")
    page.get_by_label("Reason for the amendment").fill(
        "A second battalion joins; the start moves two days earlier."
    )
    snapshot(page, artifacts / "exercise-amend-assessment.png", scroll_to=assessment)
    page.get_by_role("button", name="File the amendment").click()
    expect(page.get_by_role("status")).to_have_text(f"Amended {notice.reference}: version 2 filed.")
    history = page.get_by_role("table", name="Versions of this notice")
    expect(history.get_by_role("row")).to_have_count(3)  # the header and two versions
    notice.refresh_from_db()
    assert notice.status == "amended" and notice.current_version.days_late == 3
    page.screenshot(path=artifacts / "exercise-amended.png", full_page=True)


def test_add_a_row_clones_the_empty_form(page, live_server, liaison_rs, wb_rta, artifacts):
    sign_in(page, live_server, "rs-liaison")
    page.goto(f"{live_server.url}/notices/new/procurement_plan/?commitment=WB-RTA")
    page.get_by_label("Plan year").fill("2031")
    page.get_by_role("button", name="Add a row (Item)").click()
    new_row = page.locator("[data-row]").nth(2)
    expect(new_row.locator("legend")).to_have_text("Item 3")
    expect(new_row.get_by_label("Category")).to_be_focused()
    new_row.get_by_label("Category").select_option("II")
    new_row.get_by_label("System designation").fill("Lazar 3 APC")
    new_row.get_by_label("Quantity").fill("12")
    new_row.get_by_label("Acquisition mode").select_option("national_production")
    expect(page.locator("#assessment")).to_contain_text("Due by")
    snapshot(page, artifacts / "procurement-plan-rows.png", scroll_to=new_row)

    page.get_by_role("button", name="File the notice").click()
    expect(page.get_by_role("status")).to_contain_text("Filed RS-")
    items = Notice.objects.get().current_version.items.all()
    assert [(item.position, item.system) for item in items] == [(1, "Lazar 3 APC")]
