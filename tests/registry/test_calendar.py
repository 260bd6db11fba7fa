"""The calendar of exercises, its filters, the map on the notice page, and the iCalendar feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from notifications import services as responses
from registry import services
from registry.models import CalendarFeed
from tests.conftest import user
from tests.factories import exercise, file_exercise
from tests.registry.test_maps import DRINA, PANCEVO

pytestmark = pytest.mark.django_db


def client_for(who) -> Client:
    client = Client()
    client.force_login(who)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


@pytest.fixture
def exercises(liaison_rs, liaison_hr, wb_rta, vd11):
    """Serbia's WB-RTA exercise on the Drina, its VD11 one near Pančevo, Croatia's WB-RTA one."""
    start = in_days(50)
    return {
        "drina": file_exercise(
            liaison_rs,
            wb_rta,
            start=start,
            name="Drina Bridge",
            area_description="Drina valley near Ljubovija",
            area_polygon=DRINA,
        ).notice,
        "vienna": file_exercise(
            liaison_rs, vd11, start=start, name="Vienna Valley", area_polygon=PANCEVO
        ).notice,
        "croatian": file_exercise(
            liaison_hr,
            wb_rta,
            start=start + dt.timedelta(days=3),
            name="Sava Heron",
            participating_states=["HR"],
        ).notice,
    }


class TestCalendarPage:
    def test_the_month_shows_each_exercise_on_its_days_and_on_the_map(self, exercises, official_hr):
        start = exercises["drina"].current_version.exercise.start_date
        page = client_for(official_hr).get(f"/calendar/?month={month_of(start)}")
        assert page.status_code == 200
        body = page.content.decode()
        assert "Drina Bridge" in body and "Vienna Valley" in body and "Sava Heron" in body
        assert f'<time datetime="{start:%Y-%m-%d}">' in body
        assert body.count('class="map__marker"') == len(page.context["exercises"])
        assert "Across or on a border" in text(page)  # the Drina area

    def test_only_what_the_user_may_see(self, exercises, official_xk):
        start = exercises["drina"].current_version.exercise.start_date
        body = client_for(official_xk).get(f"/calendar/?month={month_of(start)}").content.decode()
        assert "Drina Bridge" in body and "Sava Heron" in body
        assert "Vienna Valley" not in body  # Kosovo takes no part in VD11

    def test_filters_by_state_commitment_and_near_border(self, exercises, monitor_eu):
        client = client_for(monitor_eu)
        month = month_of(exercises["drina"].current_version.exercise.start_date)

        def names(query: str) -> set[str]:
            page = client.get(f"/calendar/?month={month}&{query}")
            return {item.exercise.name for item in page.context["exercises"]}

        assert names("state=HR") == {"Sava Heron"}
        assert names("commitment=VD11") == {"Vienna Valley"}
        assert names("near_border=on") == {"Drina Bridge"}
        assert names("state=RS&commitment=WB-RTA") == {"Drina Bridge"}

    def test_the_list_shows_upcoming_exercises_but_not_cancelled_or_past_ones(
        self, exercises, liaison_rs, wb_rta, official_hr
    ):
        services.cancel_notice(user=liaison_rs, notice=exercises["vienna"], reason="Merged.")
        client = client_for(official_hr)
        page = client.get("/calendar/?view=list")
        assert [i.exercise.name for i in page.context["exercises"]] == [
            "Drina Bridge",
            "Sava Heron",
        ]
        assert "2 upcoming exercises" in text(page)

    def test_an_empty_month_says_so_and_offers_the_list(self, seeded, official_hr):
        page = client_for(official_hr).get("/calendar/?month=2031-02")
        assert "No exercise in February 2031" in text(page)
        assert 'href="/calendar/?view=list"' in page.content.decode()
        assert 'class="map"' not in page.content.decode()

    def test_a_bad_month_falls_back_to_this_month(self, seeded, official_hr):
        page = client_for(official_hr).get("/calendar/?month=13-2031")
        assert page.status_code == 200
        assert page.context["month"] == timezone.localdate().replace(day=1)


class TestNoticeMap:
    def test_an_exercise_page_draws_its_area_with_a_text_alternative(self, exercises, official_hr):
        body = text(client_for(official_hr).get(f"/notices/{exercises['drina'].pk}/"))
        assert "Map of the area" in body
        assert "Lies in Bosnia and Herzegovina, Serbia" in body
        assert "The area reaches the border between Bosnia and Herzegovina and Serbia." in body
        assert "44.2500° N, 19.3000° E" in body

    def test_other_kinds_have_no_map(self, liaison_rs, wb_rta):
        from tests.factories import file, procurement_plan

        notice = file(liaison_rs, wb_rta, "procurement_plan", procurement_plan(2031)).notice
        assert "Map of the area" not in text(client_for(liaison_rs).get(f"/notices/{notice.pk}/"))


class TestFeed:
    def make_feed(self, who) -> tuple[Client, str]:
        client = client_for(who)
        page = client.post("/calendar/feed/", {"action": "reset"})
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        url = re.search(
            r'value="(http://testserver/calendar/feed/cal_[^"]+\.ics)"', page.content.decode()
        )
        assert url, "the new address is shown"
        return client, url.group(1).removeprefix("http://testserver")

    def events(self, path: str) -> dict:
        response = Client().get(path)  # no session: the calendar program
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = Calendar.from_ical(response.content)
        return {str(event["summary"]): event for event in calendar.walk("VEVENT")}

    def test_the_feed_is_an_icalendar_of_the_exercises_the_owner_may_see(
        self, exercises, official_xk
    ):
        _client, path = self.make_feed(official_xk)
        events = self.events(path)
        assert set(events) == {"RS: Drina Bridge", "HR: Sava Heron"}  # no VD11 for Kosovo
        drina = events["RS: Drina Bridge"]
        content = exercises["drina"].current_version.exercise
        assert drina.decoded("dtstart") == content.start_date
        assert drina.decoded("dtend") == content.end_date + dt.timedelta(days=1)
        assert str(drina["uid"]) == f"{exercises['drina'].reference}@127.0.0.1:8000"
        assert str(drina["status"]) == "CONFIRMED" and drina["sequence"] == 0
        assert str(drina["location"]) == content.area_description
        assert drina["url"].endswith(f"/notices/{exercises['drina'].pk}/")
        assert drina["geo"].latitude == pytest.approx(44.25)

    def test_amendments_and_cancellations_reach_the_subscribers(
        self, exercises, liaison_rs, official_hr
    ):
        _client, path = self.make_feed(official_hr)
        moved = in_days(80)
        services.amend_notice(
            user=liaison_rs,
            notice=exercises["drina"],
            content=exercise(start=moved, name="Drina Bridge", area_polygon=DRINA),
            reason="Moved.",
        )
        services.cancel_notice(user=liaison_rs, notice=exercises["vienna"], reason="Merged.")
        events = self.events(path)
        assert events["RS: Drina Bridge"].decoded("dtstart") == moved
        assert events["RS: Drina Bridge"]["sequence"] == 1
        cancelled = events["RS: Vienna Valley (cancelled)"]
        assert str(cancelled["status"]) == "CANCELLED"

    def test_the_address_is_shown_once_and_only_its_hash_is_stored(self, exercises, official_hr):
        client, path = self.make_feed(official_hr)
        assert Client().head(path).status_code == 200
        key = path.removeprefix("/calendar/feed/").removesuffix(".ics")
        feed = CalendarFeed.objects.get(user=official_hr)
        assert feed.key_hash == CalendarFeed.hash(key) and key not in feed.key_hash
        page = client.get("/calendar/feed/").content.decode()
        assert key not in page and feed.hint in page

    def test_reset_replaces_the_address_and_revoke_turns_it_off(self, exercises, official_hr):
        client, old = self.make_feed(official_hr)
        _client, new = self.make_feed(official_hr)
        assert old != new
        assert Client().get(old).status_code == 404
        self.events(new)
        client.post("/calendar/feed/", {"action": "revoke"})
        assert Client().get(new).status_code == 404
        assert not CalendarFeed.objects.filter(user=official_hr).exists()

    def test_a_deactivated_user_loses_the_feed_for_good(self, exercises, official_hr):
        _client, path = self.make_feed(official_hr)
        official_hr.is_active = False
        official_hr.save()
        assert Client().get(path).status_code == 404
        official_hr.is_active = True
        official_hr.save()
        assert Client().get(path).status_code == 404  # re-activation does not revive it

    def test_a_user_without_a_role_gets_nothing(self, exercises, official_hr):
        _client, path = self.make_feed(official_hr)
        user("hr-official").official.delete()
        assert Client().get(path).status_code == 404

    def test_an_unknown_key_is_not_found(self, seeded):
        assert Client().get(reverse("calendar-feed", args=["cal_nothing"])).status_code == 404

    def test_the_settings_page_needs_a_session(self, seeded):
        response = Client().get("/calendar/feed/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


class TestInboxBadge:
    def test_a_counterpart_sees_how_many_versions_wait(self, exercises, official_hr):
        client = client_for(official_hr)
        nav = text(client.get("/calendar/"))
        assert "Inbox 2 (2 versions not yet acknowledged)" in nav
        responses.acknowledge(
            version=exercises["drina"].current_version, user=official_hr, route="web", comment=""
        )
        assert "Inbox 1 (1 version not yet acknowledged)" in text(client.get("/calendar/"))

    def test_a_liaison_sees_the_questions_to_answer(self, exercises, official_hr, liaison_rs):
        responses.ask_clarification(
            user=official_hr, version=exercises["drina"].current_version, question="Observers?"
        )
        nav = text(client_for(liaison_rs).get("/notices/"))
        assert "Inbox 1 (1 question to answer)" in nav

    def test_nothing_waiting_shows_no_badge(self, seeded):
        body = client_for(user("al-liaison")).get("/notices/").content.decode()
        assert 'class="badge"' not in body


class TestSearch:
    def test_the_notice_search_finds_an_exercise_by_its_area(self, exercises, monitor_eu):
        page = client_for(monitor_eu).get("/notices/?q=ljubovija")
        assert [n.pk for n in page.context["page"].object_list] == [exercises["drina"].pk]
        page = client_for(monitor_eu).get("/notices/?q=sava+heron")
        assert [n.pk for n in page.context["page"].object_list] == [exercises["croatian"].pk]
