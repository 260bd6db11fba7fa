"""Journeys through the registry in a real browser, each as its users make it.

- a counterpart official finds two notices in the inbox, acknowledges one and asks about the
  other; the filing state's liaison sees the question waiting and answers it;
- the secretariat finds a failed delivery and replays it, and a real Celery worker sends it;
- an official plans with the calendar, filters it, reads the map, and subscribes to the feed;
- a notice prints with its map.

(Filing and amending: test_filing.py; the monitor's audit and export: test_compliance.py.)
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from notifications.models import Acknowledgement, Clarification, Delivery
from tests import factories
from tests.browser.data import failed_webhook_delivery
from tests.browser.pages import sign_in, snapshot
from tests.notifications.receiver import Receiver
from tests.registry.test_maps import DRINA, PANCEVO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    return context.new_page()


def test_counterpart_acknowledges_one_notice_asks_about_another_and_the_liaison_answers(
    page, browser, live_server, liaison_rs, official_hr, wb_rta, artifacts
):
    first = factories.file_exercise(liaison_rs, wb_rta, name="Morava Shield").notice
    second = factories.file_exercise(liaison_rs, wb_rta, name="Danube Sentinel").notice

    sign_in(page, live_server, "hr-official")
    inbox_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox")
    expect(inbox_link).to_have_text("Inbox 2 (2 versions not yet acknowledged)")
    inbox_link.click()
    rows = page.get_by_role("table", name="Received versions").get_by_role("row")
    expect(rows).to_have_count(3)
    snapshot(page, artifacts / "journey-inbox.png", scroll_to=rows.first)
    page.get_by_role("button", name=f"Acknowledge {first.reference} v1").click()
    expect(page.get_by_role("status")).to_have_text(f"Acknowledged {first.reference} version 1.")
    expect(inbox_link).to_have_text("Inbox 1 (1 version not yet acknowledged)")

    page.get_by_role("link", name=second.reference).click()
    page.get_by_role("link", name="Ask for clarification").click()
    page.get_by_label("Question").fill("Will observers from Croatia be invited?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.get_by_role("status")).to_have_text("Your question was sent to Serbia.")
    assert Acknowledgement.objects.get().version.notice == first
    question = Clarification.objects.get()
    assert question.version.notice == second and question.asking_state_id == "HR"

    liaison = new_page(browser)
    sign_in(liaison, live_server, "rs-liaison")
    nav = liaison.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Inbox")).to_have_text("Inbox 1 (1 question to answer)")
    nav.get_by_role("link", name="Inbox").click()
    questions = liaison.get_by_role("region", name="Open clarification requests")
    expect(questions).to_contain_text("Will observers from Croatia be invited?")
    questions.get_by_role("link", name="Answer").click()
    expect(liaison.get_by_role("heading", level=1)).to_have_text(
        f"HR asks about {second.reference}"
    )
    liaison.get_by_label("Answer").fill("Yes: two observers, on request through the OSCE.")
    liaison.get_by_role("button", name="Send the answer").click()
    expect(liaison.get_by_role("status")).to_have_text("Your answer was sent to HR.")
    snapshot(liaison, artifacts / "journey-answered.png", scroll_to=liaison.get_by_text("Yes: two"))
    expect(nav.get_by_role("link", name="Inbox")).to_have_text("Inbox")
    liaison.context.close()

    page.reload()
    expect(page.get_by_text("Yes: two observers, on request through the OSCE.")).to_be_visible()


def test_secretariat_finds_a_failed_delivery_and_replays_it(
    page, live_server, liaison_rs, secretariat, wb_rta, worker, artifacts
):
    notice = factories.file_exercise(liaison_rs, wb_rta).notice
    with Receiver() as receiver:  # the national system is back up: it answers 200
        delivery = failed_webhook_delivery(notice, "HR", receiver.url("/HR"))
        sign_in(page, live_server, "secretariat")
        page.get_by_role("link", name="Delivery health").click()
        row = page.get_by_role("row").filter(has_text=notice.reference)
        expect(row).to_contain_text("Failed")
        expect(row).to_contain_text("HTTP 503 Service Unavailable")
        expect(page.get_by_role("region", name="Recent alerts")).to_contain_text(
            f"Delivery of {notice.reference} v1 to HR"
        )
        snapshot(page, artifacts / "journey-delivery-failed.png", scroll_to=row)

        row.get_by_role("button", name=f"Replay delivery {delivery.pk}").click()
        expect(page.get_by_role("status")).to_have_text(
            f"Delivery {delivery.pk} will be sent again now."
        )
        page.goto(f"{live_server.url}/notices/{notice.pk}/deliveries/")  # who received it
        hr = page.get_by_role("row").filter(has_text="Webhook")
        for _attempt in range(30):  # the worker sends it within seconds
            if "Delivered" in hr.inner_text():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(hr).to_contain_text("Delivered")
        (request,) = receiver.at("/HR")
        assert request.json["data"]["reference"] == notice.reference
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 11
    snapshot(page, artifacts / "journey-delivery-replayed.png", scroll_to=hr)


def test_an_official_plans_with_the_calendar_and_subscribes_to_the_feed(
    page, live_server, liaison_rs, official_hr, wb_rta, vd11, artifacts
):
    start = factories.local_today(wb_rta) + dt.timedelta(days=45)
    drina = factories.file_exercise(
        liaison_rs, wb_rta, start=start, name="Drina Bridge", area_polygon=DRINA
    ).notice
    factories.file_exercise(liaison_rs, vd11, start=start, name="Banat Plain", area_polygon=PANCEVO)

    sign_in(page, live_server, "hr-official")
    page.get_by_role("link", name="Calendar").click()
    while start.strftime("%B %Y") not in page.get_by_role("heading", level=1).inner_text():
        page.get_by_role("link", name="Next month").click()
    month = page.get_by_role("table", name=start.strftime("%B %Y"), exact=True)
    day = month.get_by_role("cell").filter(has=page.locator(f'time[datetime="{start}"]'))
    expect(day).to_contain_text("RS · Drina Bridge")
    expect(day).to_contain_text("RS · Banat Plain")
    expect(page.get_by_role("img", name=re.compile("Exercise areas in"))).to_be_visible()
    snapshot(page, artifacts / "journey-calendar-month.png", scroll_to=month)

    page.get_by_label("Only areas near a border").check()
    page.get_by_role("button", name="Show").click()
    listed = page.get_by_role("table", name=re.compile("Exercises running in"))
    expect(listed.get_by_role("row")).to_have_count(2)
    expect(listed).to_contain_text("Drina Bridge")
    expect(listed).to_contain_text("Across or on a border")
    page.get_by_role("link", name="List of upcoming exercises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming exercises")
    expect(page.get_by_label("Only areas near a border")).to_be_checked()
    snapshot(page, artifacts / "journey-calendar-list.png", scroll_to=page.locator(".map"))

    page.get_by_role("link", name="Subscribe in your calendar program").click()
    page.get_by_role("button", name="Make my feed address").click()
    address = page.get_by_label("Feed address").input_value()
    feed = Calendar.from_ical(httpx.get(address).content)  # no cookie: as a calendar program
    events = {str(event["summary"]): event for event in feed.walk("VEVENT")}
    assert set(events) == {"RS: Drina Bridge", "RS: Banat Plain"}
    assert events["RS: Drina Bridge"].decoded("dtstart") == start
    assert str(events["RS: Drina Bridge"]["uid"]).startswith(drina.reference)

    page.get_by_role("button", name="Reset the address").click()
    assert httpx.get(address).status_code == 404
    assert httpx.get(page.get_by_label("Feed address").input_value()).status_code == 200


def test_a_notice_prints_with_its_map(page, live_server, liaison_rs, wb_rta, artifacts):
    notice = factories.file_exercise(liaison_rs, wb_rta, area_polygon=DRINA).notice
    sign_in(page, live_server, "rs-liaison")
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Amend")).to_be_hidden()
    area_map = page.get_by_role("img", name=re.compile("Map of the exercise area"))
    expect(area_map).to_be_visible()
    expect(page.get_by_text("The area reaches the border between")).to_be_visible()
    box = area_map.bounding_box()
    assert box is not None and box["width"] <= 700  # fits an A4 page
    pdf = page.pdf(format="A4", path=artifacts / "notice-printed.pdf")
    assert pdf.startswith(b"%PDF")
