"""The REST API contract: shapes, status codes, errors and idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from registry.authentication import active_token
from registry.models import ApiToken, Notice, State
from registry.selectors import official_of
from tests import factories
from tests.conftest import PASSWORD


def exercise_body(start: dt.date, troops: int = 1500, **changes) -> dict:
    body = {
        "name": "Vigilant Shield",
        "activity_type": "field_training",
        "purpose": "Brigade field training",
        "command_level": "brigade",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=5)).isoformat(),
        "area": {"description": "Pasuljanske livade", "polygon": factories.POLYGON},
        "troops": troops,
        "participating_states": ["RS", "US"],
    }
    body.update(changes)
    return body


def filing(kind: str, obj: dict, client_ref: str = "api-1", commitment: str = "WB-RTA") -> dict:
    return {"commitment": commitment, "kind": kind, "client_ref": client_ref, kind: obj}


def ahead(days: int, commitment) -> dt.date:
    return factories.local_today(commitment) + dt.timedelta(days=days)


@pytest.fixture
def rs(api, liaison_rs):
    return api.as_user(liaison_rs)


class TestTokens:
    def test_token_for_good_credentials(self, api, liaison_rs):
        response = api.post(
            "/api/v1/auth/token/", {"username": "rs-liaison", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["token"].startswith("rg_")
        token = ApiToken.objects.get(user=liaison_rs)
        assert token.key_hash != response.json()["token"]  # only the hash is kept

    def test_wrong_password_is_401(self, api, seeded):
        response = api.post(
            "/api/v1/auth/token/", {"username": "rs-liaison", "password": "nope"}, format="json"
        )
        assert response.status_code == 401

    def test_expired_or_revoked_tokens_are_refused(self, rs, liaison_rs):
        token = ApiToken.objects.get(user=liaison_rs)
        token.expires_at = timezone.now() - dt.timedelta(seconds=1)
        token.save()
        assert rs.get("/api/v1/notices/").status_code == 401

    def test_a_revoked_token_or_a_deactivated_user_is_refused(self, rs, liaison_rs):
        assert rs.get("/api/v1/notices/").status_code == 200
        ApiToken.objects.filter(user=liaison_rs).update(revoked_at=timezone.now())
        assert rs.get("/api/v1/notices/").status_code == 401
        ApiToken.objects.filter(user=liaison_rs).update(revoked_at=None)
        assert rs.get("/api/v1/notices/").status_code == 200
        User.objects.filter(pk=liaison_rs.pk).update(is_active=False)
        assert rs.get("/api/v1/notices/").status_code == 401

    def test_anonymous_is_refused(self, api, seeded):
        assert api.get("/api/v1/notices/").status_code == 401


class TestTokenLookUp:
    """``active_token`` loads what the request needs in one statement."""

    def issue(self, user) -> str:
        return ApiToken.issue(user, dt.timedelta(days=1))[1]

    def test_loads_the_user_role_and_state_in_one_statement(
        self, liaison_rs, django_assert_num_queries
    ):
        key = self.issue(liaison_rs)
        serbia = State.objects.get(code="RS")
        with django_assert_num_queries(1):
            token = active_token(key)
            official = token.user.official
            assert token.user == liaison_rs and token.user.username == "rs-liaison"
            assert official.is_liaison and official.state.code == "RS"
            assert official.state.name == serbia.name
            assert official.user is token.user

    def test_a_monitor_has_no_state(self, monitor_eu, django_assert_num_queries):
        key = self.issue(monitor_eu)
        with django_assert_num_queries(1):
            official = active_token(key).user.official
            assert official.state is None and official.organisation_id == "EU"

    def test_a_user_without_a_role_has_no_official(self, seeded, django_assert_num_queries):
        nobody = User.objects.create_user("no-role", password=PASSWORD)
        key = self.issue(nobody)
        with django_assert_num_queries(1):
            user = active_token(key).user
            assert official_of(user) is None

    def test_unknown_expired_and_revoked_keys_find_nothing(self, liaison_rs):
        key = self.issue(liaison_rs)
        assert active_token(key + "x") is None
        ApiToken.objects.filter(user=liaison_rs).update(expires_at=timezone.now())
        assert active_token(key) is None
        ApiToken.objects.filter(user=liaison_rs).update(
            expires_at=timezone.now() + dt.timedelta(days=1), revoked_at=timezone.now()
        )
        assert active_token(key) is None


class TestFilingContract:
    def test_acceptance_41_days_1500_troops_is_notifiable_and_one_day_late(self, rs, wb_rta):
        response = rs.post(
            "/api/v1/notices/", filing("exercise", exercise_body(ahead(41, wb_rta))), format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        for key in (
            "id",
            "reference",
            "state",
            "commitment",
            "kind",
            "status",
            "version",
            "filed_at",
            "filed_by",
            "recipients",
            "exercise",
            "assessment",
        ):
            assert key in body
        assert body["state"] == "RS" and body["commitment"] == "WB-RTA"
        assert body["status"] == "filed" and body["version"] == 1
        assert body["filed_by"] == "rs-liaison"
        assert body["recipients"] == ["AL", "BA", "HR", "ME", "MK", "XK"]
        assert body["assessment"] == {
            "notifiable": True,
            "snap": False,
            "lead_time_days": 41,
            "required_lead_days": 42,
            "due_by": (ahead(41, wb_rta) - dt.timedelta(days=42)).isoformat(),
            "timely": False,
            "days_late": 1,
            "observation_required": False,
            "air_component_required": False,
        }
        assert body["exercise"]["area"]["polygon"] == factories.POLYGON
        assert body["exercise"]["participating_states"] == ["RS", "US"]

    def test_acceptance_1499_troops_is_not_notifiable(self, rs, wb_rta):
        response = rs.post(
            "/api/v1/notices/",
            filing("exercise", exercise_body(ahead(41, wb_rta), troops=1499)),
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["assessment"]["notifiable"] is False

    def test_the_server_sets_the_filing_time(self, rs, wb_rta):
        body = filing("exercise", exercise_body(ahead(60, wb_rta)))
        body["filed_at"] = "2020-01-01T00:00:00Z"
        response = rs.post("/api/v1/notices/", body, format="json")
        assert response.json()["filed_at"][:4] == str(timezone.now().year)

    def test_replay_answers_200_with_the_same_notice_and_conflict_409(self, rs, wb_rta):
        body = filing("exercise", exercise_body(ahead(60, wb_rta)), client_ref="nat-7")
        first = rs.post("/api/v1/notices/", body, format="json")
        again = rs.post("/api/v1/notices/", body, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        body["exercise"]["troops"] = 99
        conflict = rs.post("/api/v1/notices/", body, format="json")
        assert conflict.status_code == 409
        assert "client_ref" in conflict.json()

    def test_each_kind_through_the_api(self, rs, wb_rta):
        year = factories.local_today(wb_rta).year
        item = {
            "category": "IV",
            "system": "Rafale F3R",
            "quantity": 12,
            "supplier_state": "FR",
            "mode": "import",
            "contract_date": factories.local_today(wb_rta).isoformat(),
            "delivery_start": f"{year + 2}-01-01",
            "delivery_end": f"{year + 3}-12-31",
            "value_eur": "2700000000.00",
        }
        entry = {
            "name": "Spring Shield",
            "activity_type": "live_fire",
            "start_window_from": f"{year + 1}-04-01",
            "start_window_to": f"{year + 1}-04-30",
            "duration_days": 10,
            "troops": 2500,
        }
        bodies = [
            filing("procurement_plan", {"plan_year": year + 1, "items": [item]}, "pp"),
            filing("procurement_notice", {"item": item}, "pn"),
            filing("annual_calendar", {"year": year + 1, "nil": False, "entries": [entry]}, "ac"),
        ]
        for body in bodies:
            response = rs.post("/api/v1/notices/", body, format="json")
            assert response.status_code == 201, response.json()
            kind = body["kind"]
            assert response.json()[kind] is not None
        assert response.json()["annual_calendar"]["entries"][0]["troops"] == 2500
        plan = rs.get("/api/v1/notices/?kind=procurement_plan").json()["results"][0]
        assert plan["procurement_plan"]["items"][0]["supplier_state"] == "FR"
        assert plan["procurement_plan"]["items"][0]["value_eur"] == "2700000000.00"


class TestErrors:
    def post(self, client, body):
        response = client.post("/api/v1/notices/", body, format="json")
        assert response.status_code == 400, response.json()
        return response.json()

    def test_each_bad_field_is_named(self, rs, wb_rta):
        bad = exercise_body(ahead(60, wb_rta), troops=-5, activity_type="picnic")
        bad["area"]["polygon"] = [[200, 10], [1, 1], [2, 2]]
        errors = self.post(rs, filing("exercise", bad))["exercise"]
        assert {"troops", "activity_type", "area"} <= set(errors)

    def test_cross_field_rule_is_named(self, rs, wb_rta):
        start = ahead(60, wb_rta)
        bad = exercise_body(start, end_date=(start - dt.timedelta(days=1)).isoformat())
        errors = self.post(rs, filing("exercise", bad))
        assert "end_date" in errors["exercise"]
        assert Notice.objects.count() == 0

    def test_kind_object_must_match_kind(self, rs, wb_rta):
        body = filing("exercise", exercise_body(ahead(60, wb_rta)))
        body["annual_calendar"] = body.pop("exercise")
        errors = self.post(rs, body)
        assert "annual_calendar" in errors or "exercise" in errors

    def test_unknown_commitment_and_kind(self, rs, wb_rta):
        errors = self.post(rs, {"commitment": "NOPE", "kind": "memo", "client_ref": "x"})
        assert {"commitment", "kind"} <= set(errors)
        assert "NOPE" in errors["commitment"][0]
        errors = self.post(rs, filing("exercise", exercise_body(ahead(60, wb_rta)), commitment=7))
        assert "commitment" in errors and "exercise" not in errors

    def test_non_participant_is_told_why(self, api, seeded, vd11):
        from tests.conftest import user

        client = api.as_user(user("xk-liaison"))
        errors = self.post(
            client, filing("exercise", exercise_body(ahead(60, vd11)), commitment="VD11")
        )
        assert "commitment" in errors

    def test_too_many_rows(self, rs, settings):
        item = {"category": "I", "system": "T-72", "quantity": 1, "mode": "import"}
        rows = [item] * (settings.REGISTRY_MAX_CONTENT_ROWS + 1)
        errors = self.post(rs, filing("procurement_plan", {"plan_year": 2027, "items": rows}))
        assert "items" in errors["procurement_plan"]


class TestReadAmendCancel:
    @pytest.fixture
    def notice_id(self, rs, wb_rta) -> int:
        body = filing("exercise", exercise_body(ahead(50, wb_rta), troops=2000))
        return rs.post("/api/v1/notices/", body, format="json").json()["id"]

    def test_amend_cancel_and_history(self, rs, wb_rta, notice_id):
        amended = rs.post(
            f"/api/v1/notices/{notice_id}/amend/",
            {"reason": "Start moved forward", "exercise": exercise_body(ahead(35, wb_rta), 2000)},
            format="json",
        )
        assert amended.status_code == 201, amended.json()
        assert amended.json()["version"] == 2 and amended.json()["status"] == "amended"
        assert amended.json()["assessment"]["days_late"] == 7
        cancelled = rs.post(
            f"/api/v1/notices/{notice_id}/cancel/", {"reason": "Called off"}, format="json"
        )
        assert cancelled.json()["status"] == "cancelled"
        detail = rs.get(f"/api/v1/notices/{notice_id}/").json()
        assert [(v["version"], v["status"]) for v in detail["versions"]] == [
            (1, "filed"),
            (2, "amended"),
            (3, "cancelled"),
        ]
        assert detail["versions"][1]["reason"] == "Start moved forward"
        first = rs.get(f"/api/v1/notices/{notice_id}/versions/1/").json()
        assert first["content"]["start_date"] == ahead(50, wb_rta).isoformat()
        assert rs.get(f"/api/v1/notices/{notice_id}/versions/9/").status_code == 404
        again = rs.post(f"/api/v1/notices/{notice_id}/cancel/", {"reason": "x"}, format="json")
        assert again.status_code == 400

    def test_amend_needs_a_reason_and_the_kind_object(self, rs, notice_id):
        response = rs.post(f"/api/v1/notices/{notice_id}/amend/", {}, format="json")
        assert response.status_code == 400 and "reason" in response.json()
        response = rs.post(f"/api/v1/notices/{notice_id}/amend/", {"reason": "x"}, format="json")
        assert response.status_code == 400 and "exercise" in response.json()

    def test_list_filters_and_pagination(self, rs, wb_rta, notice_id):
        year = factories.local_today(wb_rta).year
        page = rs.get(f"/api/v1/notices/?state=RS&commitment=WB-RTA&kind=exercise&year={year}")
        assert page.json()["count"] == 1 and page.json()["results"][0]["id"] == notice_id
        assert rs.get("/api/v1/notices/?status=cancelled").json()["count"] == 0
        assert rs.get("/api/v1/notices/?kind=annual_calendar").json()["count"] == 0

    def test_list_query_count_does_not_grow(self, rs, wb_rta, django_assert_max_num_queries):
        for n in range(12):
            body = filing("exercise", exercise_body(ahead(60 + n, wb_rta)), client_ref=f"q{n}")
            rs.post("/api/v1/notices/", body, format="json")
        with django_assert_max_num_queries(10):
            assert rs.get("/api/v1/notices/").json()["count"] == 12


def test_states_and_commitments(rs):
    states = rs.get("/api/v1/states/").json()
    assert [s["code"] for s in states] == ["AL", "BA", "HR", "ME", "MK", "RS", "XK"]
    commitments = {c["code"]: c for c in rs.get("/api/v1/commitments/").json()}
    wb = commitments["WB-RTA"]
    assert wb["threshold_troops"] == 1500 and wb["exercise_lead_days"] == 42
    assert wb["time_zone"] == "Europe/Belgrade"
    assert len(wb["participants"]) == 7
    assert "XK" not in {p["state"] for p in commitments["VD11"]["participants"]}


def test_openapi_schema_and_docs(api, seeded):
    schema = api.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/notices/",
        "/api/v1/notices/{id}/",
        "/api/v1/notices/{id}/amend/",
        "/api/v1/notices/{id}/cancel/",
        "/api/v1/auth/token/",
        "/api/v1/states/",
        "/api/v1/commitments/",
    ):
        assert path in paths
    assert api.get("/api/v1/docs/").status_code == 200


def test_participating_states_may_be_left_out(rs, wb_rta):
    body = exercise_body(ahead(60, wb_rta))
    del body["participating_states"]
    response = rs.post("/api/v1/notices/", filing("exercise", body, "no-states"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["exercise"]["participating_states"] == []


def test_a_refusal_does_not_depend_on_the_body(api, rs, wb_rta, liaison_hr):
    notice_id = rs.post(
        "/api/v1/notices/", filing("exercise", exercise_body(ahead(60, wb_rta))), format="json"
    ).json()["id"]
    other = api.as_user(liaison_hr)
    for action in ("amend", "cancel"):
        assert (
            other.post(f"/api/v1/notices/{notice_id}/{action}/", {}, format="json").status_code
            == 403
        )
