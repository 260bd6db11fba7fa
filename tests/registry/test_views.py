"""The web pages: reading, filing each kind through its form, amending, cancelling."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from registry.models import Notice
from tests import factories
from tests.conftest import PASSWORD
from tests.factories import file, file_exercise

COUNTS = ["battle_tanks", "acv", "artillery", "airborne_amphibious_troops"]


# --- form data -----------------------------------------------------------------------------


def form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def fields(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Content values as a browser posts them (an unticked box is left out)."""
    data = {}
    for name, value in values.items():
        if value is False:
            continue
        if name == "area_polygon":
            value = "\n".join(f"{lon}, {lat}" for lon, lat in value)
        data[f"{prefix}{name}"] = "on" if value is True else form_value(value)
    return data


def formset(prefix: str, rows: list[dict[str, Any]], blank: int = 1) -> dict[str, Any]:
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows) + blank,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        if prefix == "entries":  # the form shows each count as 0 until changed
            row = {**dict.fromkeys(COUNTS, 0), **row}
        data.update(fields(row, f"{prefix}-{index}-"))
    blank_counts = [*COUNTS, "troops"] if prefix == "entries" else []
    for index in range(len(rows), len(rows) + blank):  # blank rows as the browser sends them
        data.update({f"{prefix}-{index}-{name}": "0" for name in blank_counts})
        data.update({f"{prefix}-{index}-system": "", f"{prefix}-{index}-name": ""})
    return data


def exercise_form(client_ref: str = "form-1", **overrides: Any) -> dict[str, Any]:
    content = factories.exercise(**overrides)
    for name in [*COUNTS, "helicopters", "fixed_wing_sorties"]:
        content.setdefault(name, 0)
    return {**fields(content), "client_ref": client_ref, "action": "file"}


def days_ahead(commitment, days: int) -> dt.date:
    return factories.local_today(commitment) + dt.timedelta(days=days)


def file_url(kind: str, commitment: str = "WB-RTA") -> str:
    return f"{reverse('notice-file', args=[kind])}?commitment={commitment}"


def text(response) -> str:
    """The page's text without tags, with runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


# --- signing in and home --------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("url", ["/", "/notices/", "/notices/new/", "/notices/1/"])
    def test_pages_require_login(self, client, seeded, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/login/?next={url}")

    def test_login_with_password_leads_home(self, client, liaison_rs):
        response = client.post("/login/", {"username": "rs-liaison", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/"
        home = client.get("/")
        assert "RS liaison" in text(home) and "File a notice" in text(home)

    def test_wrong_password_is_refused(self, client, liaison_rs):
        response = client.post("/login/", {"username": "rs-liaison", "password": "wrong"})
        assert response.status_code == 200 and "didn't match" in text(response)

    def test_logout_is_a_post(self, login, liaison_rs):
        client = login(liaison_rs)
        assert client.post("/logout/")["Location"] == "/login/"
        assert client.get("/").status_code == 302

    def test_a_user_without_a_role_is_told_to_contact_the_secretariat(self, login, seeded):
        nobody = get_user_model().objects.create_user("nobody", password=PASSWORD)
        response = login(nobody).get("/")
        assert response.status_code == 403
        assert "has no registry role" in text(response) and "secretariat" in text(response)

    def test_liaison_home_shows_filed_and_received(self, login, liaison_rs, liaison_hr, wb_rta):
        own = file_exercise(liaison_rs, wb_rta).notice
        received = file_exercise(liaison_hr, wb_rta).notice
        page = text(login(liaison_rs).get("/"))
        assert "Filed by Serbia" in page and "Received by Serbia" in page
        assert own.reference in page and received.reference in page
        assert "File a notice" in page

    def test_counterpart_home_has_no_file_action(self, login, official_hr):
        page = login(official_hr).get("/").content.decode()
        assert reverse("notice-new") not in page

    def test_monitor_is_sent_to_the_cross_state_list(self, login, monitor_eu):
        assert login(monitor_eu).get("/")["Location"] == reverse("notice-list")

    def test_secretariat_home_links_to_the_admin(self, login, secretariat):
        response = login(secretariat).get("/")
        assert response.status_code == 200 and 'href="/admin/"' in response.content.decode()


# --- filing through the forms ---------------------------------------------------------------


class TestFiling:
    def test_choose_offers_only_commitments_the_state_takes_part_in(self, login, official_xk):
        xk = get_user_model().objects.get(username="xk-liaison")
        page = text(login(xk).get(reverse("notice-new")))
        assert "WB-RTA" in page and "VD11" not in page

    def test_choose_redirects_to_the_kind_form(self, login, liaison_rs):
        response = login(liaison_rs).get(
            reverse("notice-new"), {"commitment": "VD11", "kind": "exercise"}
        )
        assert response["Location"] == file_url("exercise", "VD11")

    def test_files_an_exercise_and_redirects_with_the_reference(self, login, liaison_rs, wb_rta):
        client = login(liaison_rs)
        assert client.get(file_url("exercise")).status_code == 200
        response = client.post(file_url("exercise"), exercise_form(troops=1600), follow=True)
        notice = Notice.objects.get()
        assert response.redirect_chain[-1][0] == reverse("notice-detail", args=[notice.pk])
        assert f"Filed {notice.reference}" in text(response)
        assert notice.current_version.exercise.troops == 1600
        assert notice.current_version.exercise.area_polygon == factories.POLYGON

    def test_files_a_procurement_plan_with_its_rows(self, login, liaison_rs, wb_rta):
        year = factories.local_today(wb_rta).year + 1
        items = [
            factories.procurement_item(system="Lazar 3 APC"),
            factories.procurement_item(system="Nora B-52", category="III", quantity=4),
        ]
        data = {
            **fields({"plan_year": year}),
            **formset("items", items),
            "client_ref": "plan-1",
            "action": "file",
        }
        response = login(liaison_rs).post(file_url("procurement_plan"), data)
        assert response.status_code == 302
        notice = Notice.objects.get()
        assert [i.system for i in notice.current_version.items.all()] == [
            "Lazar 3 APC",
            "Nora B-52",
        ]

    def test_a_removed_row_is_left_out(self, login, liaison_rs, wb_rta):
        items = [factories.procurement_item(system="Kept"), factories.procurement_item()]
        data = {
            **fields({"plan_year": 2030}),
            **formset("items", items),
            "items-1-DELETE": "on",
            "client_ref": "plan-2",
            "action": "file",
        }
        assert login(liaison_rs).post(file_url("procurement_plan"), data).status_code == 302
        assert [i.system for i in Notice.objects.get().current_version.items.all()] == ["Kept"]

    def test_files_a_procurement_notice(self, login, liaison_rs, wb_rta):
        data = {**fields(factories.procurement_item()), "client_ref": "pn-1", "action": "file"}
        response = login(liaison_rs).post(file_url("procurement_notice"), data, follow=True)
        notice = Notice.objects.get()
        assert f"Filed {notice.reference}" in text(response) and "-PN-" in notice.reference
        assert notice.current_version.timely is True

    def test_files_an_annual_calendar_with_entries(self, login, liaison_rs, wb_rta):
        year = factories.local_today(wb_rta).year + 1
        entries = [factories.calendar_entry(year), factories.calendar_entry(year, name="Autumn")]
        data = {
            **fields({"year": year}),
            **formset("entries", entries),
            "client_ref": "cal-1",
            "action": "file",
        }
        assert login(liaison_rs).post(file_url("annual_calendar"), data).status_code == 302
        names = Notice.objects.get().current_version.calendar_entries.values_list("name", flat=True)
        assert list(names) == ["Spring Shield", "Autumn"]

    def test_files_a_nil_calendar(self, login, liaison_rs, wb_rta):
        data = {
            **fields({"year": 2031, "nil": True}),
            **formset("entries", []),
            "client_ref": "cal-2",
            "action": "file",
        }
        assert login(liaison_rs).post(file_url("annual_calendar"), data).status_code == 302
        assert Notice.objects.get().current_version.annual_calendar.nil is True

    def test_a_double_submit_files_once(self, login, liaison_rs, wb_rta):
        client = login(liaison_rs)
        data = exercise_form(client_ref="same-form")
        first = client.post(file_url("exercise"), data)
        second = client.post(file_url("exercise"), data, follow=True)
        notice = Notice.objects.get()
        assert first["Location"] == reverse("notice-detail", args=[notice.pk])
        assert second.redirect_chain[-1][0] == first["Location"]
        assert "was not filed twice" in text(second)

    def test_a_reused_client_ref_with_other_content_is_a_conflict(self, login, liaison_rs, wb_rta):
        client = login(liaison_rs)
        client.post(file_url("exercise"), exercise_form(client_ref="reused"))
        response = client.post(file_url("exercise"), exercise_form("reused", name="Other name"))
        assert response.status_code == 409 and "already used" in text(response)
        assert 'value="Other name"' in response.content.decode()
        assert Notice.objects.count() == 1

    def test_the_form_carries_a_fresh_client_ref_kept_across_checks(self, login, liaison_rs):
        client = login(liaison_rs)
        page = client.get(file_url("exercise")).content.decode()
        client_ref = re.search(r'name="client_ref" value="([0-9a-f-]{36})"', page).group(1)
        checked = client.post(
            file_url("exercise"), {**exercise_form(client_ref), "action": "check"}
        )
        assert f'value="{client_ref}"' in checked.content.decode()

    def test_errors_keep_the_input_and_are_summarised(self, login, liaison_rs, wb_rta):
        data = exercise_form(name="", purpose="Kept purpose")
        data["area_polygon"] = "20.4, 44.7\n20.6, 44.7"
        response = login(liaison_rs).post(file_url("exercise"), data)
        page = response.content.decode()
        assert response.status_code == 400 and Notice.objects.count() == 0
        assert 'class="error-summary"' in page and 'href="#id_name"' in page
        assert 'href="#id_area_polygon"' in page and "at least three points" in page
        assert "Kept purpose" in page and "20.6, 44.7" in page

    def test_a_service_error_lands_on_its_row(self, login, liaison_rs, wb_rta):
        data = {
            **fields({"year": 2031, "nil": True}),
            **formset("entries", [factories.calendar_entry(2031)]),
            "client_ref": "cal-3",
            "action": "file",
        }
        response = login(liaison_rs).post(file_url("annual_calendar"), data)
        assert response.status_code == 400
        assert "A nil calendar has no entries." in text(response)
        assert 'value="Spring Shield"' in response.content.decode()

    def test_a_procurement_notice_needs_its_contract_date(self, login, liaison_rs, wb_rta):
        item = factories.procurement_item(contract_date=None)
        data = {**fields(item), "client_ref": "pn-2", "action": "file"}
        response = login(liaison_rs).post(file_url("procurement_notice"), data)
        assert response.status_code == 400
        assert 'href="#id_contract_date"' in response.content.decode()

    def test_an_unknown_kind_is_404_and_a_closed_commitment_goes_back(self, login, official_xk):
        xk = login(get_user_model().objects.get(username="xk-liaison"))
        assert xk.get(file_url("treaty")).status_code == 404
        assert xk.get(file_url("exercise", "VD11"))["Location"] == reverse("notice-new")


class TestAssessment:
    def test_check_shows_late_for_1500_troops_41_days_ahead(self, login, liaison_rs, wb_rta):
        start = days_ahead(wb_rta, 41)
        data = {**exercise_form(start=start, troops=1500), "action": "check"}
        response = login(liaison_rs).post(file_url("exercise"), data)
        page = text(response)
        assert response.status_code == 200 and Notice.objects.count() == 0
        assert "Notifiable under WB-RTA" in page and "Troops: 1,500 (threshold 1,500)" in page
        assert "Late by 1 day if filed today" in page and "at least 42 days" in page
        assert "Lead time: 41 days" in page

    def test_check_shows_1499_troops_not_notifiable(self, login, liaison_rs, wb_rta):
        start = days_ahead(wb_rta, 41)
        data = {**exercise_form(start=start, troops=1499), "action": "check"}
        page = text(login(liaison_rs).post(file_url("exercise"), data))
        assert "Not notifiable under WB-RTA" in page and "Late by" not in page

    def test_endpoint_answers_a_fragment_for_a_new_notice(self, login, liaison_rs, vd11):
        data = exercise_form(start=days_ahead(vd11, 42), troops=13000, fixed_wing_sorties=250)
        url = f"{reverse('notice-assess')}?kind=exercise&commitment=VD11"
        response = login(liaison_rs).post(url, data)
        page = text(response)
        assert response.status_code == 200 and "<html" not in response.content.decode()
        assert "Notifiable under VD11" in page and "On time if filed today" in page
        assert "Observers must be invited" in page and "Air component required" in page

    def test_endpoint_handles_a_snap_exercise(self, login, liaison_rs, wb_rta):
        today = factories.local_today(wb_rta)
        data = exercise_form(start=today, troops=2000, without_advance_notice=True)
        url = f"{reverse('notice-assess')}?kind=exercise&commitment=WB-RTA"
        page = text(login(liaison_rs).post(url, data))
        assert "snap exercise" in page and "Required lead time" not in page
        assert "On time if filed today" in page

    def test_endpoint_with_a_partial_form_asks_for_what_it_needs(self, login, liaison_rs):
        url = f"{reverse('notice-assess')}?kind=exercise&commitment=WB-RTA"
        response = login(liaison_rs).post(url, {"troops": "2000"})
        assert "Enter the start date" in text(response)

    def test_endpoint_for_an_amendment_counts_from_the_first_filing(
        self, login, liaison_rs, wb_rta
    ):
        notice = file_exercise(liaison_rs, wb_rta, start=days_ahead(wb_rta, 50)).notice
        url = f"{reverse('notice-assess')}?notice={notice.pk}"
        data = exercise_form(start=days_ahead(wb_rta, 41), troops=3000)
        page = text(login(liaison_rs).post(url, data))
        assert "Late by 1 day" in page and "if filed today" not in page

    def test_endpoint_for_a_calendar_gives_its_due_date(self, login, liaison_rs, wb_rta):
        url = f"{reverse('notice-assess')}?kind=annual_calendar&commitment=WB-RTA"
        page = text(login(liaison_rs).post(url, {"year": "2100"}))
        assert "Due by" in page and "2099" in page and "On time if filed today" in page

    def test_endpoint_is_post_only_and_hides_invisible_notices(self, login, official_xk, vd11):
        notice = file_exercise(factories_user("rs-liaison"), vd11).notice
        client = login(official_xk)
        assert client.get(reverse("notice-assess")).status_code == 405
        url = f"{reverse('notice-assess')}?notice={notice.pk}"
        assert client.post(url, {}).status_code == 404


def factories_user(username: str):
    return get_user_model().objects.get(username=username)


# --- reading, amending, cancelling ------------------------------------------------------------


class TestNoticePages:
    def test_detail_shows_content_assessment_recipients_and_history(
        self, login, liaison_rs, wb_rta
    ):
        notice = file_exercise(liaison_rs, wb_rta, troops=1500, participating_states=["RS", "HR"])
        page = text(login(liaison_rs).get(reverse("notice-detail", args=[notice.notice.pk])))
        assert notice.notice.reference in page and "Steadfast Resolve" in page
        assert "Field training" in page and "Croatia, Serbia" in page and "1,500" in page
        assert "Notifiable" in page and "Albania (AL)" in page and "Kosovo (XK)" in page
        assert "View version 1" in page and "Amend" in page

    def test_amend_and_cancel_through_the_pages(self, login, liaison_rs, wb_rta):
        notice = file_exercise(liaison_rs, wb_rta, troops=1200).notice
        client = login(liaison_rs)
        amend_url = reverse("notice-amend", args=[notice.pk])
        form = client.get(amend_url)
        assert 'value="Steadfast Resolve"' in form.content.decode()
        data = {**exercise_form(troops=2500), "reason": "More troops"}
        data.pop("client_ref")
        response = client.post(amend_url, data, follow=True)
        assert f"Amended {notice.reference}: version 2 filed." in text(response)
        notice.refresh_from_db()
        assert notice.current_version.exercise.troops == 2500 and notice.status == "amended"

        cancel_url = reverse("notice-cancel", args=[notice.pk])
        assert client.post(cancel_url, {"reason": ""}).status_code == 400
        response = client.post(cancel_url, {"reason": "Called off"}, follow=True)
        assert f"Cancelled {notice.reference}." in text(response)
        notice.refresh_from_db()
        assert notice.status == "cancelled" and notice.current_version.number == 3
        detail = client.get(reverse("notice-detail", args=[notice.pk])).content.decode()
        assert amend_url not in detail and cancel_url not in detail
        assert client.get(amend_url)["Location"] == reverse("notice-detail", args=[notice.pk])

    def test_an_amendment_without_a_reason_keeps_the_input(self, login, liaison_rs, wb_rta):
        notice = file_exercise(liaison_rs, wb_rta).notice
        data = {**exercise_form(troops=2222), "reason": ""}
        response = login(liaison_rs).post(reverse("notice-amend", args=[notice.pk]), data)
        assert response.status_code == 400 and 'value="2222"' in response.content.decode()
        assert 'href="#id_reason"' in response.content.decode()

    def test_an_amendment_that_changes_nothing_is_refused(self, login, liaison_rs, wb_rta):
        content = factories.exercise()
        notice = file(liaison_rs, wb_rta, "exercise", content).notice
        data = {**exercise_form(), "reason": "Nothing"}
        data.update(fields({"start_date": content["start_date"], "end_date": content["end_date"]}))
        response = login(liaison_rs).post(reverse("notice-amend", args=[notice.pk]), data)
        assert response.status_code == 400 and "changes nothing" in text(response)

    def test_a_recipient_liaison_may_read_but_not_change(
        self, login, liaison_rs, liaison_hr, wb_rta
    ):
        notice = file_exercise(liaison_rs, wb_rta).notice
        client = login(liaison_hr)
        assert client.get(reverse("notice-detail", args=[notice.pk])).status_code == 200
        for name in ("notice-amend", "notice-cancel"):
            assert client.get(reverse(name, args=[notice.pk])).status_code == 403
            assert client.post(reverse(name, args=[notice.pk]), {"reason": "x"}).status_code == 403
        assert notice.versions.count() == 1

    def test_a_state_neither_filer_nor_recipient_gets_404(
        self, login, liaison_rs, official_xk, vd11
    ):
        notice = file_exercise(liaison_rs, vd11).notice
        client = login(official_xk)
        for name in ("notice-detail", "notice-amend", "notice-cancel", "notice-diff"):
            assert client.get(reverse(name, args=[notice.pk])).status_code == 404
        assert client.get(reverse("notice-version", args=[notice.pk, 1])).status_code == 404

    def test_monitors_read_but_may_not_write(self, login, liaison_rs, monitor_eu, wb_rta):
        notice = file_exercise(liaison_rs, wb_rta).notice
        client = login(monitor_eu)
        assert client.get(reverse("notice-detail", args=[notice.pk])).status_code == 200
        assert client.get(reverse("notice-new")).status_code == 403
        assert client.get(file_url("exercise")).status_code == 403
        assert client.post(file_url("exercise"), exercise_form()).status_code == 403
        assert client.get(reverse("notice-amend", args=[notice.pk])).status_code == 403
        assert client.post(reverse("notice-cancel", args=[notice.pk])).status_code == 403

    def test_version_and_diff_pages(self, login, liaison_rs, wb_rta):
        notice = file_exercise(liaison_rs, wb_rta, troops=1200).notice
        from registry import services

        services.amend_notice(
            user=liaison_rs,
            notice=notice,
            content=factories.exercise(troops=1800, name="Renamed"),
            reason="Bigger",
        )
        client = login(liaison_rs)
        version = text(client.get(reverse("notice-version", args=[notice.pk, 1])))
        assert "version 1 of 2" in version and "1,200" in version
        diff = client.get(reverse("notice-diff", args=[notice.pk]), {"from": 1, "to": 2})
        page = text(diff)
        assert "Troops 1,200 1,800" in page and "Designation Steadfast Resolve Renamed" in page
        assert "Purpose" not in page.split("Changed fields")[1]
        assert client.get(reverse("notice-diff", args=[notice.pk]), {"to": 9}).status_code == 404
        assert client.get(reverse("notice-version", args=[notice.pk, 3])).status_code == 404

    def test_diff_shows_added_and_removed_rows(self, login, liaison_rs, wb_rta):
        plan = factories.procurement_plan(2030, items=[factories.procurement_item(system="A")])
        notice = file(liaison_rs, wb_rta, "procurement_plan", plan).notice
        from registry import services

        new_items = [factories.procurement_item(system="B"), factories.procurement_item()]
        services.amend_notice(
            user=liaison_rs, notice=notice, content={**plan, "items": new_items}, reason="More"
        )
        page = text(login(liaison_rs).get(reverse("notice-diff", args=[notice.pk])))
        assert "Item 1: changed" in page and "System designation A B" in page
        assert "Item 2: added" in page


class TestNoticeList:
    @pytest.fixture
    def notices(self, liaison_rs, liaison_hr, wb_rta, vd11):
        year = factories.local_today(wb_rta).year
        return {
            "rs_ex": file_exercise(liaison_rs, wb_rta, name="Morava Shield").notice,
            "rs_vd": file_exercise(liaison_rs, vd11, name="Danube Guard").notice,
            "hr_ex": file_exercise(liaison_hr, wb_rta, name="Adriatic Wave").notice,
            "rs_pp": file(
                liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(year + 1)
            ).notice,
        }

    def references(self, response) -> list[str]:
        return re.findall(
            r'class="reference">([A-Z]{2}-\d{4}-[A-Z]{2}-\d{4})<', response.content.decode()
        )

    def test_a_monitor_sees_every_state(self, login, monitor_eu, notices):
        refs = self.references(login(monitor_eu).get(reverse("notice-list")))
        assert sorted(refs) == sorted(n.reference for n in notices.values())

    def test_filters(self, login, monitor_eu, notices):
        client = login(monitor_eu)
        url = reverse("notice-list")
        assert self.references(client.get(url, {"state": "HR"})) == [notices["hr_ex"].reference]
        assert self.references(client.get(url, {"commitment": "VD11"})) == [
            notices["rs_vd"].reference
        ]
        assert self.references(client.get(url, {"kind": "procurement_plan"})) == [
            notices["rs_pp"].reference
        ]
        assert len(self.references(client.get(url, {"status": "filed"}))) == 4
        assert self.references(client.get(url, {"status": "cancelled"})) == []
        year = notices["rs_ex"].year
        assert len(self.references(client.get(url, {"year": year}))) == 4
        assert self.references(client.get(url, {"year": year + 1})) == []

    def test_search_by_reference_and_name(self, login, monitor_eu, notices):
        client = login(monitor_eu)
        url = reverse("notice-list")
        assert self.references(client.get(url, {"q": "adriatic"})) == [notices["hr_ex"].reference]
        ref = notices["rs_vd"].reference
        assert self.references(client.get(url, {"q": ref.lower()})) == [ref]
        assert self.references(client.get(url, {"q": "lazar"})) == [notices["rs_pp"].reference]

    def test_empty_result_explains_itself(self, login, monitor_eu, notices):
        page = text(login(monitor_eu).get(reverse("notice-list"), {"q": "no such thing"}))
        assert "No notice matches these filters" in page and "clear all filters" in page

    def test_sort_by_reference(self, login, monitor_eu, notices):
        client = login(monitor_eu)
        ascending = self.references(client.get(reverse("notice-list"), {"sort": "reference"}))
        assert ascending == sorted(ascending)
        descending = self.references(client.get(reverse("notice-list"), {"sort": "-reference"}))
        assert descending == sorted(ascending, reverse=True)
        bad = client.get(reverse("notice-list"), {"sort": "password", "year": "x"})
        assert bad.status_code == 200 and len(self.references(bad)) == 4

    def test_exercise_flags_use_text(self, login, liaison_rs, wb_rta):
        file_exercise(liaison_rs, wb_rta, start=days_ahead(wb_rta, 41), troops=1500)
        page = text(login(liaison_rs).get(reverse("notice-list")))
        assert "Notifiable" in page and "Late by 1 day" in page

    def test_a_counterpart_sees_only_its_states_notices(self, login, official_xk, notices):
        refs = self.references(login(official_xk).get(reverse("notice-list")))
        assert notices["rs_vd"].reference not in refs and notices["rs_ex"].reference in refs

    def test_pagination(self, login, liaison_rs, wb_rta, settings):
        for _ in range(27):
            file_exercise(liaison_rs, wb_rta)
        client = login(liaison_rs)
        first = client.get(reverse("notice-list"))
        assert len(self.references(first)) == 25 and "page 1 of 2" in text(first)
        second = client.get(reverse("notice-list"), {"page": 2})
        assert len(self.references(second)) == 2
