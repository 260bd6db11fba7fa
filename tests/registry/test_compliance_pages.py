"""Who sees which compliance figures, through the pages, the API and the exports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from registry.compliance.exports import build_export
from registry.models import Finding, ReportExport
from tests.conftest import PASSWORD, user
from tests.registry.test_compliance import YEAR, at, exercise, filed, history

pytestmark = pytest.mark.django_db


def client_for(who) -> Client:
    client = Client()
    assert client.login(username=who.username, password=PASSWORD)
    return client


@pytest.fixture
def late_serbia(seeded, wb_rta):
    """One exercise of Serbia's, filed 40 days ahead (late by 2), and one on time."""
    start = dt.date(YEAR, 6, 1)
    history("RS", wb_rta, "exercise", [filed(at(4, 22), exercise(start, name="Late Lark"))])
    history("RS", wb_rta, "exercise", [filed(at(3, 1), exercise(start, name="Timely Tern"))])


def query(year=YEAR, commitment="WB-RTA") -> str:
    return f"?commitment={commitment}&year={year}"


class TestPages:
    def test_monitor_overview_drills_down_to_the_notices(self, late_serbia, monitor_eu):
        client = client_for(monitor_eu)
        page = client.get("/compliance/" + query()).content.decode()
        assert "Serbia" in page and "Legend" in page and "How the score is computed" in page
        assert "1 / 2" in page  # Serbia: one of two notifiable exercises on time
        late = client.get("/compliance/RS/evidence/exercises/late/" + query()).content.decode()
        assert "Late Lark" in late and "Timely Tern" not in late
        state = client.get("/compliance/RS/" + query()).content.decode()
        assert "Exercise notices" in state and "Missing" in state  # no calendar was filed

    def test_trends_are_drawn_as_svg_with_a_table(self, late_serbia, monitor_eu):
        page = client_for(monitor_eu).get(
            f"/compliance/trends/?commitment=WB-RTA&first_year={YEAR - 1}&year={YEAR}"
        )
        body = page.content.decode()
        assert page.status_code == 200
        assert body.count("<svg") == 2 and "<title" in body and "Scores by state and year" in body

    def test_a_state_sees_its_own_report_only(self, late_serbia, seeded):
        client = client_for(user("rs-official"))
        assert client.get("/compliance/" + query()).status_code == 302  # sent to its own page
        assert client.get("/compliance/RS/" + query()).status_code == 200
        assert client.get("/compliance/HR/" + query()).status_code == 403
        assert client.get("/compliance/HR/evidence/exercises/late/" + query()).status_code == 403

    def test_a_monitor_not_granted_the_commitment_cannot_see_it(
        self, late_serbia, monitor_eu, vd11, wb_rta
    ):
        monitor_eu.official.organisation.commitments.remove(wb_rta)
        client = client_for(monitor_eu)
        assert client.get("/compliance/RS/" + query()).status_code == 404
        assert client.get("/compliance/" + query()).status_code == 404

    def test_unknown_figures_are_404(self, late_serbia, monitor_eu):
        client = client_for(monitor_eu)
        assert (
            client.get("/compliance/RS/evidence/exercises/nonsense/" + query()).status_code == 404
        )


class TestFindings:
    def test_a_monitor_records_an_unnotified_activity(self, seeded, monitor_eu, wb_rta):
        response = client_for(monitor_eu).post(
            "/findings/new/",
            {
                "commitment": wb_rta.pk,
                "state": "RS",
                "kind": "unnotified_activity",
                "observed_from": f"{YEAR}-09-01",
                "observed_to": f"{YEAR}-09-05",
                "area_description": "Near the border",
                "estimated_troops": 2500,
                "sources": "Open-source imagery",
                "note": "Brigade-size activity, never notified.",
            },
        )
        assert response.status_code == 302
        finding = Finding.objects.get()
        assert (finding.year, finding.organisation_id, finding.recorded_by) == (
            YEAR,
            "EU",
            monitor_eu,
        )

    def test_an_activity_needs_its_dates(self, seeded, monitor_eu, wb_rta):
        response = client_for(monitor_eu).post(
            "/findings/new/",
            {"commitment": wb_rta.pk, "state": "RS", "kind": "unnotified_activity", "note": "x"},
        )
        assert response.status_code == 400 and not Finding.objects.exists()

    def test_states_cannot_record_and_see_only_their_own(self, seeded, wb_rta, monitor_eu):
        for code in ("RS", "HR"):
            Finding.objects.create(
                kind="unnotified_activity",
                commitment=wb_rta,
                state_id=code,
                year=YEAR,
                observed_from=dt.date(YEAR, 5, 1),
                note=f"About {code}",
                organisation_id="EU",
                recorded_by=monitor_eu,
            )
        serbia = client_for(user("rs-official"))
        assert serbia.get("/findings/new/").status_code == 403
        page = serbia.get("/findings/").content.decode()
        assert "About RS" in page and "About HR" not in page

    def test_api_lists_and_records(self, api, seeded, monitor_eu, wb_rta):
        client = api.as_user(monitor_eu)
        created = client.post(
            "/api/v1/findings/",
            {
                "commitment": "WB-RTA",
                "state": "HR",
                "kind": "unnotified_activity",
                "observed_from": f"{YEAR}-10-01",
                "note": "Seen from the air.",
            },
            format="json",
        )
        assert created.status_code == 201 and created.json()["year"] == YEAR
        assert client.get("/api/v1/findings/?state=HR").json()["count"] == 1
        refused = api.as_user(user("hr-liaison")).post(
            "/api/v1/findings/",
            {
                "commitment": "WB-RTA",
                "state": "RS",
                "kind": "unnotified_activity",
                "observed_from": f"{YEAR}-10-01",
                "note": "x",
            },
            format="json",
        )
        assert refused.status_code == 403


class TestApi:
    def test_report_shape(self, api, late_serbia, monitor_eu):
        body = api.as_user(monitor_eu).get("/api/v1/compliance/" + query()).json()
        assert body["commitment"] == "WB-RTA" and body["year"] == YEAR and body["generated_at"]
        serbia = next(s for s in body["states"] if s["state"] == "RS")
        assert set(serbia["exercises"]) >= {
            "notifiable",
            "timely",
            "late",
            "snap",
            "voluntary",
            "cancelled",
            "median_lead_days",
        }
        assert serbia["exercises"]["late"] == 1
        assert set(serbia["calendar"]) >= {"status", "filed_at", "days_late"}
        assert set(serbia["acknowledgements"]) >= {
            "received",
            "within_deadline",
            "late",
            "outstanding",
            "median_hours",
        }
        assert set(serbia["clarifications"]) >= {
            "received",
            "answered_within_deadline",
            "late",
            "outstanding",
        }
        assert "findings" in serbia and "score" in serbia
        assert len(body["states"]) == 7

    def test_a_state_gets_its_own_row(self, api, late_serbia, seeded):
        body = api.as_user(user("hr-official")).get("/api/v1/compliance/" + query()).json()
        assert [s["state"] for s in body["states"]] == ["HR"]

    def test_ungranted_commitment_is_404_and_bad_years_400(self, api, seeded, monitor_eu, vd11):
        monitor_eu.official.organisation.commitments.remove(vd11)
        client = api.as_user(monitor_eu)
        assert client.get("/api/v1/compliance/" + query(commitment="VD11")).status_code == 404
        assert client.get("/api/v1/compliance/?commitment=WB-RTA&year=abc").status_code == 400
        assert (
            client.get("/api/v1/compliance/?commitment=WB-RTA&year=2000&to_year=2030").status_code
            == 400
        )


class TestExports:
    @pytest.mark.parametrize("fmt, magic", [("csv", b"# Commitment"), ("pdf", b"%PDF")])
    def test_export_is_built_and_downloaded(self, late_serbia, monitor_eu, fmt, magic, wb_rta):
        client = client_for(monitor_eu)
        response = client.post(
            "/compliance/export/",
            {"commitment": "WB-RTA", "first_year": YEAR, "last_year": YEAR, "format": fmt},
        )
        job = ReportExport.objects.get()
        assert response["Location"] == f"/compliance/exports/{job.pk}/"
        assert client.get(f"/compliance/exports/{job.pk}/?format=json").json()["status"] == "queued"
        build_export(job.pk)  # what the worker runs
        status = client.get(f"/compliance/exports/{job.pk}/?format=json").json()
        assert status["status"] == "done" and status["progress"] == 100
        download = client.get(status["download"])
        content = b"".join(download.streaming_content) if download.streaming else download.content
        assert content.startswith(magic)
        if fmt == "csv":
            text = content.decode()
            assert "WB-RTA" in text and "Evidence log checkpoint" in text and "\nRS," not in text
            assert f"{YEAR},RS,participant" in text

    def test_an_export_is_in_its_requesters_language(self, late_serbia, monitor_eu):
        client = client_for(monitor_eu)
        client.post("/language/", {"language": "mk", "next": "/"})
        for fmt in ("csv", "pdf"):
            client.post(
                "/compliance/export/",
                {"commitment": "WB-RTA", "first_year": YEAR, "last_year": YEAR, "format": fmt},
            )
        csv_job, pdf_job = ReportExport.objects.order_by("pk")
        assert csv_job.language == pdf_job.language == "mk"
        for job in (csv_job, pdf_job):
            build_export(job.pk)  # in the worker, where English is active
        with translation.override("mk"):
            commitment = gettext("Commitment")
        assert f"# {commitment}".encode() in bytes(ReportExport.objects.get(pk=csv_job.pk).content)
        pdf = bytes(ReportExport.objects.get(pk=pdf_job.pk).content)
        assert b"DejaVuSansCondensed" in pdf  # a font with Cyrillic letters, embedded

    def test_exports_are_private_to_their_requester(self, late_serbia, monitor_eu, secretariat):
        client_for(monitor_eu).post(
            "/compliance/export/",
            {"commitment": "WB-RTA", "first_year": YEAR, "last_year": YEAR, "format": "csv"},
        )
        job = ReportExport.objects.get()
        assert client_for(secretariat).get(f"/compliance/exports/{job.pk}/").status_code == 404

    def test_a_state_exports_only_itself(self, late_serbia, seeded):
        client = client_for(user("hr-official"))
        refused = client.post(
            "/compliance/export/",
            {
                "commitment": "WB-RTA",
                "first_year": YEAR,
                "last_year": YEAR,
                "format": "csv",
                "state": "RS",
            },
        )
        assert refused.status_code == 403
        client.post(
            "/compliance/export/",
            {"commitment": "WB-RTA", "first_year": YEAR, "last_year": YEAR, "format": "csv"},
        )
        job = ReportExport.objects.get()
        build_export(job.pk)
        rows = bytes(ReportExport.objects.get(pk=job.pk).content).decode().splitlines()
        assert [line.split(",")[1] for line in rows if line.startswith(str(YEAR))] == ["HR"]


class TestFindingsInTheLog:
    def test_findings_are_logged_and_a_rewritten_note_is_named(
        self, api, seeded, monitor_eu, wb_rta
    ):
        from registry import ledger
        from registry.ledger.verify import verify_log
        from registry.models import LedgerEntry

        api.as_user(monitor_eu).post(
            "/api/v1/findings/",
            {
                "commitment": "WB-RTA",
                "state": "RS",
                "kind": "unnotified_activity",
                "observed_from": f"{YEAR}-10-01",
                "note": "Seen from the air.",
            },
            format="json",
        )
        ledger.sequence_pending()
        entry = LedgerEntry.objects.get(kind="finding.recorded")
        assert b"Seen from the air." in bytes(entry.payload)
        assert verify_log().problem is None
        Finding.objects.filter(pk=entry.source_id).update(note="Nothing was seen.")
        assert verify_log().problem.entry == entry.index

    def test_registry_flags_are_logged_too(self, seeded, wb_rta):
        from registry import ledger
        from registry.models import LedgerEntry

        history("RS", wb_rta, "exercise", [filed(at(3, 1), exercise(dt.date(YEAR, 6, 1), 1480))])
        ledger.sequence_pending()
        assert LedgerEntry.objects.filter(kind="finding.recorded").count() == 1
