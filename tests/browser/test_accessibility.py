"""Accessibility in a real browser: axe-core on every main page, forms with the keyboard alone.

axe-core (tests/browser/axe/, from npm) runs on each page as each role sees it; a serious or
critical violation fails the test, which lists them all. Every page is also checked for
content the CSP refused (an inline script or style would show up here). The API docs are
left out: they are a third-party page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from notifications.models import Acknowledgement
from registry.models import Notice
from tests import factories
from tests.browser.data import small_world
from tests.browser.pages import axe_violations, choose_radio, sign_in, tab_to, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class PageChecker:
    """Opens pages one after another, collecting axe violations and CSP refusals."""

    def __init__(self, page, live_server) -> None:
        self.page, self.base = page, live_server.url
        self.problems: list[str] = []
        self.checked: list[str] = []
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: CSP: {message.text}")

    def check(self, path: str, heading: str | None = None) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        if heading:
            expect(self.page.get_by_role("heading", level=1)).to_contain_text(heading)
        self.problems += axe_violations(self.page)
        self.checked.append(path)

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def world(liaison_rs, liaison_hr, official_hr, monitor_eu, secretariat, wb_rta):
    return small_world(wb_rta)


def test_the_pages_of_a_liaison(page, live_server, world):
    checker = PageChecker(page, live_server)
    checker.check("/login/", "Sign in")
    sign_in(page, live_server, "rs-liaison")
    notice, plan = world.exercise, world.plan
    start = notice.current_version.exercise.start_date
    for path, heading in [
        ("/", "Serbia"),
        ("/notices/", "Notices"),
        ("/notices/?q=nothing-matches-this", "Notices"),
        (f"/notices/{notice.pk}/", notice.reference),
        (f"/notices/{notice.pk}/versions/1/", notice.reference),
        (f"/notices/{notice.pk}/diff/", "changes"),
        (f"/notices/{plan.pk}/", plan.reference),
        ("/notices/new/", "File a notice"),
        ("/notices/new/exercise/?commitment=WB-RTA", "File: Exercise notice"),
        ("/notices/new/procurement_plan/?commitment=WB-RTA", "File: Procurement plan"),
        ("/notices/new/procurement_notice/?commitment=WB-RTA", "File: Procurement notice"),
        ("/notices/new/annual_calendar/?commitment=WB-RTA", "File: Annual calendar"),
        (f"/notices/{notice.pk}/amend/", "Amend"),
        (f"/notices/{notice.pk}/cancel/", "Cancel"),
        (f"/notices/{notice.pk}/deliveries/", "Deliveries"),
        ("/inbox/", "Inbox"),
        (f"/clarifications/{world.question_id}/answer/", "asks about"),
        ("/alerts/", "Alerts"),
        (f"/calendar/?month={start:%Y-%m}", "Exercises in"),
        ("/calendar/?view=list", "Upcoming exercises"),
        ("/calendar/?month=2031-02&near_border=on", "Exercises in"),
        ("/calendar/feed/", "Your calendar feed"),
        (f"/compliance/RS/?commitment=WB-RTA&year={start.year}", "Serbia under WB-RTA"),
        ("/findings/", "Findings"),
        ("/ledger/", "Evidence log"),
    ]:
        checker.check(path, heading)
    page.goto(f"{live_server.url}/calendar/feed/")
    page.get_by_role("button", name="Make my feed address").click()
    feed_url = re.compile(re.escape(f"{live_server.url}/calendar/feed/cal_") + r".+\.ics")
    expect(page.get_by_label("Feed address")).to_have_value(feed_url)
    checker.problems += axe_violations(page)
    page.goto(f"{live_server.url}/notices/new/exercise/?commitment=WB-RTA")
    page.get_by_role("button", name="File the notice").click()  # empty: the error summary
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    checker.problems += axe_violations(page)
    checker.assert_clean()


def test_the_pages_of_a_counterpart_a_monitor_and_the_secretariat(
    page, browser, live_server, world
):
    checker = PageChecker(page, live_server)
    sign_in(page, live_server, "hr-official")
    notice = world.exercise
    year = notice.current_version.exercise.start_date.year
    for path, heading in [
        ("/", "Croatia"),
        ("/inbox/", "Inbox"),
        ("/inbox/?status=overdue", "Inbox"),
        (f"/notices/{notice.pk}/", notice.reference),
        (f"/notices/{notice.pk}/ask/", "clarification"),
        ("/calendar/?view=list", "Upcoming exercises"),
        (f"/compliance/HR/?commitment=WB-RTA&year={year}", "Croatia under WB-RTA"),
    ]:
        checker.check(path, heading)

    monitor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    other = PageChecker(monitor.new_page(), live_server)
    sign_in(other.page, live_server, "eu-monitor")
    for path, heading in [
        (f"/compliance/?commitment=WB-RTA&year={year}", "Compliance with WB-RTA"),
        (f"/compliance/RS/?commitment=WB-RTA&year={year}", "Serbia under WB-RTA"),
        (
            f"/compliance/trends/?commitment=WB-RTA&first_year={year - 3}&year={year}",
            "Trends under WB-RTA",
        ),
        (
            f"/compliance/RS/evidence/exercises/notifiable/?commitment=WB-RTA&year={year}",
            "Notifiable",
        ),
        (
            f"/compliance/HR/evidence/acknowledgements/received/?commitment=WB-RTA&year={year}",
            "",
        ),
        ("/findings/", "Findings"),
        ("/findings/new/", "Record a finding"),
        ("/ledger/", "Evidence log"),
        (f"/notices/{notice.pk}/deliveries/", "Deliveries"),
        (f"/calendar/?month={notice.current_version.exercise.start_date:%Y-%m}", "Exercises in"),
    ]:
        other.check(path, heading or None)
    monitor.close()

    secretariat = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    third = PageChecker(secretariat.new_page(), live_server)
    sign_in(third.page, live_server, "secretariat")
    for path, heading in [
        ("/", "Secretariat"),
        ("/deliveries/health/", "Delivery health"),
        ("/alerts/", "Alerts"),
        (f"/notices/{notice.pk}/deliveries/", "Deliveries"),
        ("/notices/?sort=-start", "Notices"),
        ("/no-such-page/", None),
    ]:
        if path == "/no-such-page/":
            third.page.goto(live_server.url + path)
            third.problems += axe_violations(third.page)
            continue
        third.check(path, heading)
    secretariat.close()
    problems = checker.problems + other.problems + third.problems
    assert problems == [], "\n".join(problems)


# --- the keyboard alone -------------------------------------------------------------------------


def type_into(page, field, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def test_a_liaison_files_an_exercise_with_the_keyboard_alone(page, live_server, liaison_rs, wb_rta):
    sign_in(page, live_server, "rs-liaison")
    page.goto(f"{live_server.url}/notices/new/")
    choose_radio(
        page, page.get_by_label("WB-RTA: Western Balkans Regional Transparency Arrangement")
    )
    choose_radio(page, page.get_by_label("Exercise notice"))
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("File: Exercise notice")

    start = factories.local_today(wb_rta) + dt.timedelta(days=30)
    type_into(page, page.get_by_label("Designation"), "Keyboard Kestrel")
    tab_to(page, page.get_by_label("Type of activity"))
    page.keyboard.type("Live")  # a select's type-ahead
    type_into(page, page.get_by_label("Purpose"), "Battalion live firing")
    tab_to(page, page.get_by_label("Level of command"))
    page.keyboard.type("Batt")
    type_date(page, page.get_by_label("Start date"), start)
    type_date(page, page.get_by_label("End date"), start + dt.timedelta(days=3))
    type_into(page, page.get_by_label("Area", exact=True), "Nikinci training area")
    type_into(page, page.get_by_label("Area polygon"), "19.75, 44.84\n19.92, 44.84\n19.92, 44.95")
    type_into(page, page.get_by_label("Troops", exact=True), "1600")
    expect(page.get_by_label("Type of activity")).to_have_value("live_fire")
    expect(page.get_by_label("Start date")).to_have_value(start.isoformat())
    expect(page.locator("#assessment")).to_contain_text("Late by 12 days")

    tab_to(page, page.get_by_role("button", name="File the notice"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Filed RS-")
    exercise = Notice.objects.get().current_version.exercise
    assert (exercise.name, exercise.activity_type, exercise.command_level, exercise.troops) == (
        "Keyboard Kestrel",
        "live_fire",
        "battalion",
        1600,
    )


def test_a_counterpart_acknowledges_from_the_inbox_with_the_keyboard_alone(
    page, live_server, liaison_rs, official_hr, wb_rta
):
    notice = factories.file_exercise(liaison_rs, wb_rta).notice
    sign_in(page, live_server, "hr-official")
    page.goto(f"{live_server.url}/inbox/")
    tab_to(page, page.get_by_role("button", name=f"Acknowledge {notice.reference} v1"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Acknowledged {notice.reference} version 1.")
    assert Acknowledgement.objects.get().state_id == "HR"
    # Back in the inbox: the skip link leads past the navigation to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
