"""Property-based tests (hypothesis) of the services: whatever content, reason, question or
answer arrives (the API and the forms validate first, but ``import_notices`` and future
callers hand the services raw JSON), a service either succeeds or refuses with a
``RegistryError`` (a 400/403/409), never another exception (a 500), and a refusal writes
nothing: no notice, version, content row, delivery, clarification or log submission."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications import services as notification_services
from notifications.models import Acknowledgement, Clarification, Delivery
from registry import services
from registry.models import (
    CalendarEntry,
    ExerciseDetails,
    Finding,
    LedgerSubmission,
    Notice,
    NoticeVersion,
    ProcurementItem,
)
from registry.services import RegistryError
from tests import factories

#: Each test's examples (all run in one database transaction); see the README's test budget.
EXAMPLES = 40
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI fails for a reason, not by chance
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WRITTEN = [
    Notice,
    NoticeVersion,
    ExerciseDetails,
    ProcurementItem,
    CalendarEntry,
    Delivery,
    Clarification,
    Acknowledgement,
    Finding,
    LedgerSubmission,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=4100),
    st.just("\x00"),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)),
)
hostile = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
points = st.lists(
    st.lists(st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=3)), max_size=3),
    max_size=8,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def mutated(valid: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The valid content with a few fields replaced, removed, or added, by hostile values."""
    content = dict(valid)
    for name in data.draw(st.lists(st.sampled_from(sorted(valid)), max_size=4, unique=True)):
        if data.draw(st.booleans()):
            content[name] = data.draw(points if name == "area_polygon" else hostile)
        else:
            content.pop(name)
    if data.draw(st.booleans()):
        content[data.draw(st.text(max_size=10))] = data.draw(hostile)
    return content


def succeeds_or_refuses(call, *args, **kwargs) -> bool:
    """Run ``call``; True if it succeeded, False if it refused with nothing written."""
    before = counts()
    try:
        call(*args, **kwargs)
    except RegistryError:
        assert counts() == before, "a refused request wrote something"
        return False
    return True


pytestmark = pytest.mark.django_db


@PROPERTY
@given(data=st.data())
def test_filing_any_content(liaison_rs, wb_rta, data):
    kind = data.draw(st.sampled_from(["exercise", "procurement_plan", "annual_calendar"]))
    valid = {
        "exercise": factories.exercise(),
        "procurement_plan": factories.procurement_plan(2027),
        "annual_calendar": factories.annual_calendar(2027),
    }[kind]
    content = mutated(valid, data) if data.draw(st.booleans()) else data.draw(hostile)
    client_ref = data.draw(st.one_of(st.text(max_size=120), hostile))
    filed = succeeds_or_refuses(
        services.file_notice,
        user=liaison_rs,
        commitment=wb_rta,
        kind=data.draw(st.one_of(st.just(kind), st.text(max_size=20))),
        client_ref=client_ref,
        content=content if isinstance(content, dict) else {"content": content},
    )
    if filed:
        notice = Notice.objects.latest("pk")
        assert notice.current_version.recipients.exists()
        assert LedgerSubmission.objects.filter(notice=notice).exists()


@pytest.fixture
def filed_exercise(liaison_rs, wb_rta) -> Notice:
    return factories.file_exercise(liaison_rs, wb_rta).notice


@PROPERTY
@given(data=st.data())
def test_amending_and_cancelling_with_any_content_and_reason(liaison_rs, filed_exercise, data):
    notice = Notice.objects.get(pk=filed_exercise.pk)
    reason = data.draw(st.one_of(st.text(max_size=2100), hostile))
    if data.draw(st.booleans()):  # a cancelled notice refuses both: a RegistryError too
        content = mutated(factories.exercise(), data)
        succeeds_or_refuses(
            services.amend_notice, user=liaison_rs, notice=notice, content=content, reason=reason
        )
    else:
        succeeds_or_refuses(services.cancel_notice, user=liaison_rs, notice=notice, reason=reason)
    versions = list(notice.versions.order_by("number").values_list("number", flat=True))
    assert versions == list(range(1, len(versions) + 1)), "versions are dense"


@PROPERTY
@given(data=st.data())
def test_acknowledging_asking_and_answering_any_text(
    liaison_rs, official_hr, official_xk, filed_exercise, data
):
    version = filed_exercise.current_version
    who = data.draw(st.sampled_from([official_hr, official_xk, liaison_rs]))
    text = data.draw(st.one_of(st.text(max_size=4100), hostile))
    step = data.draw(st.sampled_from(["acknowledge", "ask", "answer"]))
    if step == "acknowledge":
        succeeds_or_refuses(
            notification_services.acknowledge,
            version=version,
            user=who,
            route="api",
            comment=text,
        )
    elif step == "ask":
        succeeds_or_refuses(
            notification_services.ask_clarification, user=who, version=version, question=text
        )
    else:
        question = Clarification.objects.filter(answered_at__isnull=True).first()
        if question is None:
            question = notification_services.ask_clarification(
                user=official_hr, version=version, question="Observers?"
            )
        succeeds_or_refuses(
            notification_services.answer_clarification,
            user=who,
            clarification=question,
            answer=text,
        )


FINDING_FIELDS = {
    "observed_from": dt.date(2026, 3, 1),
    "observed_to": dt.date(2026, 3, 4),
    "area_description": "Near the border",
    "area_polygon": factories.POLYGON,
    "estimated_troops": 900,
    "sources": "Satellite imagery",
    "note": "Troops seen exercising.",
}


@PROPERTY
@given(data=st.data())
def test_recording_any_finding(monitor_eu, official_hr, wb_rta, data):
    from registry.models import State

    fields = mutated(FINDING_FIELDS, data)
    fields = {name: value for name, value in fields.items() if name in FINDING_FIELDS}
    succeeds_or_refuses(
        services.record_finding,
        user=data.draw(st.sampled_from([monitor_eu, official_hr])),
        commitment=wb_rta,
        state=State.objects.get(pk=data.draw(st.sampled_from(["RS", "HR"]))),
        kind=data.draw(st.sampled_from([*Finding.Kind.values, "bogus"])),
        **fields,
    )


def test_the_strategies_reach_both_outcomes(liaison_rs, wb_rta):
    """Guard against a vacuous property: valid content files, hostile content is refused."""
    assert succeeds_or_refuses(
        services.file_notice,
        user=liaison_rs,
        commitment=wb_rta,
        kind="exercise",
        client_ref="prop-valid",
        content=factories.exercise(),
    )
    assert not succeeds_or_refuses(
        services.file_notice,
        user=liaison_rs,
        commitment=wb_rta,
        kind="exercise",
        client_ref="prop-nul",
        content=factories.exercise(name="Null\x00byte"),
    )
