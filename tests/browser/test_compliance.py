"""A monitor in a real browser: the regional overview, a state's report, the PDF export.

The export is built by a real Celery worker on a Redis of the test's own, as in production.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import axe_violations, sign_in, snapshot
from tests.registry.test_compliance import YEAR, at, exercise, filed, history

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_monitor_drills_into_a_state_and_exports_the_pdf(
    page, live_server, monitor_eu, wb_rta, worker, artifacts
):
    start = dt.date(YEAR, 6, 1)
    history("RS", wb_rta, "exercise", [filed(at(4, 22), exercise(start, name="Late Lark"))])
    history("HR", wb_rta, "exercise", [filed(at(3, 1), exercise(start, name="Early Egret"))])

    sign_in(page, live_server, "eu-monitor")
    page.goto(f"{live_server.url}/compliance/?commitment=WB-RTA&year={YEAR}")
    table = page.get_by_role("table", name=re.compile("Every participant of WB-RTA"))
    expect(table).to_contain_text("Serbia")
    expect(page.get_by_text("Legend")).to_be_visible()
    snapshot(page, artifacts / "compliance-overview.png", scroll_to=table)
    problems = axe_violations(page)

    table.get_by_role("link", name="Serbia").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Serbia under WB-RTA, {YEAR}")
    problems += axe_violations(page)
    page.get_by_role("link", name="1", exact=True).first.click()  # the notifiable exercise
    expect(page.get_by_role("link", name=re.compile(r"RS-\d{4}-EX-0001"))).to_be_visible()
    page.go_back()

    page.get_by_role("button", name="PDF").click()
    download_link = page.get_by_role("link", name=re.compile(r"Download compliance-WB-RTA-RS-"))
    expect(download_link).to_be_visible(timeout=60_000)  # the worker builds it; the page polls
    snapshot(page, artifacts / "compliance-export.png", scroll_to=download_link)
    problems += axe_violations(page)
    with page.expect_download() as started:
        download_link.click()
    pdf = started.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert problems == [], "\n".join(problems)
