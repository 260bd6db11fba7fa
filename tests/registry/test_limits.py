"""Hostile input: every limit (request size, list lengths, string lengths, polygon size) is
answered with a 400 that names the field, through the API and through the forms, and
nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from notifications.models import Clarification
from registry.models import Notice
from tests import factories
from tests.conftest import PASSWORD
from tests.registry.test_api import ahead, exercise_body, filing
from tests.registry.test_views import exercise_form, file_url, formset


@pytest.fixture
def rs(api, liaison_rs):
    return api.as_user(liaison_rs)


def refused(response, *path: str) -> None:
    """A 400 whose body names the field at ``path`` (nested objects, then the field)."""
    assert response.status_code == 400, response.content
    errors = response.json()
    for key in path:
        assert key in errors, (path, errors)
        errors = errors[key]


class TestRequestSize:
    def test_an_api_body_over_the_limit_is_refused_before_it_is_read(self, rs, settings):
        settings.REGISTRY_MAX_REQUEST_BYTES = 2048
        body = json.dumps({"commitment": "WB-RTA", "padding": "x" * 4096})
        answer = rs.generic("POST", "/api/v1/notices/", body, "application/json")
        refused(answer, "request")
        assert "2048 bytes" in answer.json()["request"][0]
        assert not Notice.objects.exists()

    def test_a_form_over_the_limit_is_refused(self, client, liaison_rs, wb_rta, settings):
        settings.REGISTRY_MAX_REQUEST_BYTES = 2048
        client.force_login(liaison_rs)
        data = {**exercise_form(), "purpose": "x" * 4096}
        answer = client.post(file_url("exercise"), data)
        assert answer.status_code == 400
        assert "larger than 2048 bytes" in answer.content.decode()
        assert not Notice.objects.exists()

    def test_a_bad_content_length_is_refused(self, rs):
        answer = rs.generic(
            "POST", "/api/v1/notices/", "{}", "application/json", CONTENT_LENGTH="lots"
        )
        refused(answer, "request")

    def test_too_many_form_fields_are_refused(self, client, liaison_rs, settings):
        client.force_login(liaison_rs)
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
        answer = client.post(file_url("exercise"), {f"f{i}": "1" for i in range(60)})
        assert answer.status_code == 400


class TestApiFieldLimits:
    def test_a_polygon_over_the_limit(self, rs, wb_rta, settings):
        points = [[20.0 + i / 1000, 44.0 + (i % 2) / 100] for i in range(501)]
        body = exercise_body(ahead(60, wb_rta))
        body["area"]["polygon"] = points
        refused(
            rs.post("/api/v1/notices/", filing("exercise", body), format="json"),
            "exercise",
            "area",
            "polygon",
        )

    @pytest.mark.parametrize(
        ("field", "length"),
        [("name", 201), ("purpose", 4001), ("calendar_changes", 4001)],
    )
    def test_strings_over_their_length(self, rs, wb_rta, field, length):
        body = exercise_body(ahead(60, wb_rta), **{field: "x" * length})
        answer = rs.post("/api/v1/notices/", filing("exercise", body), format="json")
        refused(answer, "exercise", field)
        assert not Notice.objects.exists()

    def test_an_area_description_over_its_length(self, rs, wb_rta):
        body = exercise_body(ahead(60, wb_rta))
        body["area"]["description"] = "x" * 2001
        answer = rs.post("/api/v1/notices/", filing("exercise", body), format="json")
        refused(answer, "exercise", "area", "description")

    def test_a_client_reference_over_its_length(self, rs, wb_rta):
        body = filing("exercise", exercise_body(ahead(60, wb_rta)), client_ref="r" * 101)
        refused(rs.post("/api/v1/notices/", body, format="json"), "client_ref")

    def test_calendar_entries_over_the_limit(self, rs, settings):
        entry = {
            "name": "Spring Shield",
            "activity_type": "field_training",
            "start_window_from": "2027-04-01",
            "start_window_to": "2027-04-30",
            "duration_days": 7,
            "troops": 2000,
        }
        entries = [entry] * (settings.REGISTRY_MAX_CONTENT_ROWS + 1)
        body = filing("annual_calendar", {"year": 2027, "nil": False, "entries": entries})
        refused(rs.post("/api/v1/notices/", body, format="json"), "annual_calendar", "entries")

    def test_reasons_questions_answers_and_comments(self, rs, api, official_hr, wb_rta):
        notice = factories.file_exercise(_owner("rs-liaison"), wb_rta).notice
        refused(rs.post(f"/api/v1/notices/{notice.pk}/cancel/", {"reason": "x" * 2001}), "reason")
        hr = api.as_user(official_hr)
        refused(
            hr.post(f"/api/v1/notices/{notice.pk}/clarifications/", {"question": "q" * 4001}),
            "question",
        )
        refused(
            hr.post(
                f"/api/v1/notices/{notice.pk}/acknowledge/", {"version": 1, "comment": "c" * 2001}
            ),
            "comment",
        )
        assert not Clarification.objects.exists()

    def test_a_token_label_over_its_length(self, api, liaison_rs):
        answer = api.post(
            "/api/v1/auth/token/",
            {"username": "rs-liaison", "password": PASSWORD, "label": "l" * 101},
            format="json",
        )
        refused(answer, "label")


def _owner(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


class TestFormLimits:
    def test_a_polygon_over_the_limit_is_named_on_the_form(self, liaison_rs, wb_rta):
        client = Client()
        client.force_login(liaison_rs)
        points = [[20.0 + i / 1000, 44.0 + (i % 2) / 100] for i in range(501)]
        data = exercise_form(area_polygon=points)
        answer = client.post(file_url("exercise"), data)
        assert answer.status_code == 400
        assert "At most 500 points" in answer.content.decode()
        assert not Notice.objects.exists()

    def test_too_many_plan_items_are_named_on_the_form(self, liaison_rs, wb_rta, settings):
        client = Client()
        client.force_login(liaison_rs)
        rows = [factories.procurement_item()] * (settings.REGISTRY_MAX_CONTENT_ROWS + 1)
        data = {
            "plan_year": 2027,
            "client_ref": "plan-1",
            "action": "file",
            **formset("items", rows, blank=0),
        }
        answer = client.post(file_url("procurement_plan"), data)
        assert answer.status_code == 400
        assert f"{settings.REGISTRY_MAX_CONTENT_ROWS}" in answer.content.decode()
        assert not Notice.objects.exists()

    def test_a_name_over_its_length_is_named_on_the_form(self, liaison_rs, wb_rta):
        client = Client()
        client.force_login(liaison_rs)
        answer = client.post(file_url("exercise"), exercise_form(name="n" * 201))
        assert answer.status_code == 400
        assert "at most 200 characters" in answer.content.decode()


class TestNulCharacters:
    """PostgreSQL cannot compare or store NUL: it is refused before any lookup sees it."""

    def test_in_a_query_parameter(self, rs):
        refused(rs.get("/api/v1/notices/?state=R%00S"), "state")

    def test_in_a_json_body(self, rs, wb_rta):
        body = json.dumps({"commitment": "WB\u0000RTA", "kind": "exercise"})
        refused(rs.generic("POST", "/api/v1/notices/", body, "application/json"), "request")

    def test_in_a_related_field_of_a_form_body(self, api, secretariat):
        client = api.as_user(secretariat)
        answer = client.post(
            "/api/v1/endpoints/", {"state": "H\x00R", "kind": "email", "email": "a@b.example"}
        )
        refused(answer, "request")

    def test_in_a_web_form(self, liaison_rs, wb_rta):
        client = Client()
        client.force_login(liaison_rs)
        answer = client.post(file_url("exercise"), {**exercise_form(), "name": "Null\x00"})
        assert answer.status_code == 400
        assert not Notice.objects.exists()
