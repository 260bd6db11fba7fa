"""Who sees and who may change what, enforced in the querysets and the services."""

from __future__ import annotations

import pytest

from registry.models import Notice
from registry.selectors import notices_visible_to
from tests.conftest import user
from tests.factories import exercise, file_exercise


@pytest.fixture
def rs_wb_notice(liaison_rs, wb_rta) -> Notice:
    """Serbia's notice under WB-RTA: every other state receives it."""
    return file_exercise(liaison_rs, wb_rta).notice


@pytest.fixture
def rs_vd11_notice(liaison_rs, vd11) -> Notice:
    """Serbia's notice under VD11: Kosovo takes no part, so it receives nothing."""
    return file_exercise(liaison_rs, vd11).notice


class TestQuerysets:
    def test_filing_state_and_recipients_see_it(self, rs_wb_notice, official_hr, official_xk):
        assert rs_wb_notice in notices_visible_to(user("rs-official"))
        assert rs_wb_notice in notices_visible_to(official_hr)
        assert rs_wb_notice in notices_visible_to(official_xk)

    def test_a_state_that_received_nothing_sees_nothing(self, rs_vd11_notice, official_xk):
        assert not notices_visible_to(official_xk).exists()
        assert not notices_visible_to(user("xk-liaison")).exists()

    def test_monitors_see_only_granted_commitments(
        self, rs_wb_notice, rs_vd11_notice, monitor_eu, vd11
    ):
        assert set(notices_visible_to(monitor_eu)) == {rs_wb_notice, rs_vd11_notice}
        monitor_eu.official.organisation.commitments.remove(vd11)
        assert set(notices_visible_to(monitor_eu)) == {rs_wb_notice}

    def test_secretariat_sees_all_and_roleless_users_nothing(self, rs_wb_notice, secretariat):
        from django.contrib.auth import get_user_model

        assert rs_wb_notice in notices_visible_to(secretariat)
        nobody = get_user_model().objects.create_user("nobody", password="x")
        assert not notices_visible_to(nobody).exists()


class TestApi:
    def test_invisible_is_404_everywhere(self, api, rs_vd11_notice, official_xk):
        client = api.as_user(official_xk)
        base = f"/api/v1/notices/{rs_vd11_notice.pk}"
        assert client.get(f"{base}/").status_code == 404
        assert client.get(f"{base}/versions/1/").status_code == 404
        assert client.post(f"{base}/cancel/", {"reason": "x"}, format="json").status_code == 404
        assert client.get("/api/v1/notices/").json()["count"] == 0
        assert client.get("/api/v1/notices/?state=RS").json()["count"] == 0

    def test_a_recipient_reads_but_cannot_change(self, api, rs_wb_notice, liaison_hr):
        client = api.as_user(liaison_hr)
        base = f"/api/v1/notices/{rs_wb_notice.pk}"
        assert client.get(f"{base}/").status_code == 200
        assert client.post(f"{base}/cancel/", {"reason": "x"}, format="json").status_code == 403
        amend = {"reason": "x", "exercise": _api_exercise(rs_wb_notice)}
        assert client.post(f"{base}/amend/", amend, format="json").status_code == 403
        assert Notice.objects.get(pk=rs_wb_notice.pk).status == "filed"

    def test_a_monitor_reads_but_never_writes(self, api, rs_wb_notice, monitor_eu):
        client = api.as_user(monitor_eu)
        base = f"/api/v1/notices/{rs_wb_notice.pk}"
        assert client.get(f"{base}/").status_code == 200
        assert client.post(f"{base}/cancel/", {"reason": "x"}, format="json").status_code == 403
        body = {
            "commitment": "WB-RTA",
            "kind": "exercise",
            "client_ref": "m1",
            "exercise": _api_exercise(rs_wb_notice),
        }
        assert client.post("/api/v1/notices/", body, format="json").status_code == 403

    def test_a_counterpart_cannot_file(self, api, official_hr, rs_wb_notice):
        client = api.as_user(official_hr)
        body = {
            "commitment": "WB-RTA",
            "kind": "exercise",
            "client_ref": "c1",
            "exercise": _api_exercise(rs_wb_notice),
        }
        assert client.post("/api/v1/notices/", body, format="json").status_code == 403

    def test_a_liaison_files_only_for_their_own_state(self, api, liaison_hr, rs_wb_notice):
        body = {
            "commitment": "WB-RTA",
            "kind": "exercise",
            "client_ref": "own",
            "exercise": _api_exercise(rs_wb_notice),
            "state": "RS",
        }
        response = api.as_user(liaison_hr).post("/api/v1/notices/", body, format="json")
        assert response.status_code == 201 and response.json()["state"] == "HR"


def _api_exercise(notice: Notice) -> dict:
    content = exercise(start=notice.current_version.exercise.start_date, troops=7)
    content["area"] = {
        "description": content.pop("area_description"),
        "polygon": content.pop("area_polygon"),
    }
    content["start_date"] = content["start_date"].isoformat()
    content["end_date"] = content["end_date"].isoformat()
    return content
