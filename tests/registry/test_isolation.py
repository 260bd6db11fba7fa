"""Isolation between states, proven by a matrix generated from the URL configuration.

Every URL pattern of ``registry.urls`` (the web pages, the API and the admin) must have an
expectation here, or ``test_every_url_pattern_has_an_expectation`` fails: a new endpoint
cannot be forgotten. Each expectation gives, for each role (liaison, counterpart, monitor,
secretariat, anonymous) and each object relation (the role's own state's object, an object
of a state that the role's state received it from, an object of a state it has nothing to do
with), the answer: 200, 403, 404, 405, or a redirect to the sign-in page.

The objects: Serbia (RS) and Croatia (HR) file under WB-RTA, so each receives the other's
notices; Albania (AL) files under a bilateral commitment with Bosnia (BA) alone, which no
monitoring organisation is granted, so none of the personas but the secretariat may see it.
Where the answer is 404, it must be the very answer a non-existent id gets: nothing tells
an object of another state from no object at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from notifications import services as notification_services
from notifications.models import Clarification, Delivery, Endpoint
from registry import services
from registry.compliance.exports import request_export
from registry.models import (
    ApiToken,
    Commitment,
    Finding,
    Notice,
    Participation,
    ReportExport,
    State,
)
from registry.services import accounts
from tests import factories

ROLES = ("liaison", "counterpart", "monitor", "secretariat", "anonymous")
RELATIONS = ("own", "recipient", "other")
PERSONAS = {
    "liaison": "rs-liaison",
    "counterpart": "hr-official",
    "monitor": "eu-monitor",
    "secretariat": "secretariat",
}
#: Whose object each relation means, for each role.
STATE_OF = {
    "liaison": {"own": "RS", "recipient": "HR", "other": "AL"},
    "counterpart": {"own": "HR", "recipient": "RS", "other": "AL"},
}
DEFAULT_STATES = {"own": "RS", "recipient": "HR", "other": "AL"}
COMMITMENT_OF = {"own": "WB-RTA", "recipient": "VD11", "other": "AB-PILOT"}
MISSING_ID = 987654321


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    notices: dict[str, Notice] = field(default_factory=dict)
    spare_notices: dict[str, Notice] = field(default_factory=dict)  # to cancel
    clarifications: dict[str, Clarification] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    exports: dict[str, ReportExport] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def user(username: str):
    return get_user_model().objects.select_related("official").get(username=username)


def bilateral_commitment() -> Commitment:
    """AB-PILOT: WB-RTA's numbers, AL and BA only, granted to no monitoring organisation."""
    pilot = Commitment.objects.get(code="WB-RTA")
    pilot.pk = None
    pilot.code, pilot.name = "AB-PILOT", "Albania–Bosnia pilot arrangement"
    pilot.save()
    for code in ("AL", "BA"):
        Participation.objects.create(commitment=pilot, state_id=code, joined_on=dt.date(2020, 1, 1))
    pilot.monitoring_organisations.add("OSCE")  # another organisation than the persona's
    return pilot


@pytest.fixture
def world(seeded, wb_rta) -> World:
    pilot = bilateral_commitment()
    made = World()
    secretariat = user("secretariat")
    filings = {"RS": (wb_rta, "hr-official"), "HR": (wb_rta, "rs-official")}
    filings["AL"] = (pilot, "ba-official")
    for code, (commitment, asker) in filings.items():
        liaison = user(f"{code.lower()}-liaison")
        notice = factories.file_exercise(liaison, commitment).notice
        made.notices[code] = notice
        made.spare_notices[code] = factories.file_exercise(liaison, commitment).notice
        made.clarifications[code] = notification_services.ask_clarification(
            user=user(asker), version=notice.current_version, question="Observers?"
        )
        made.deliveries[code] = Delivery.objects.filter(version__notice=notice).first()
        made.endpoints[code] = notification_services.create_email_endpoint(
            state=State.objects.get(pk=code), email=f"desk@{code.lower()}.example", by=secretariat
        )
        made.findings[code] = services.record_finding(
            user=user("osce-monitor" if code == "AL" else "eu-monitor"),
            commitment=commitment,
            state=State.objects.get(pk=code),
            kind=Finding.Kind.UNNOTIFIED_ACTIVITY,
            observed_from=dt.date(2026, 3, 1),
            observed_to=dt.date(2026, 3, 4),
            note=f"Activity seen in {code}.",
        )
    for username in [*PERSONAS.values(), "al-liaison"]:
        made.keys[username] = accounts.issue_token(user=user(username))[1]  # to call the API
        made.tokens[username] = accounts.issue_token(user=user(username), label="spare")[0]
        made.exports[username] = request_export(
            user=user(username), commitment=wb_rta, first_year=2026, last_year=2026, fmt="csv"
        )
    return made


# --- the URL patterns --------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, as the URL resolver spells it
    name: str
    admin: bool


def routes() -> Iterator[Route]:
    def walk(patterns, prefix: str, namespace: str | None) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            else:
                assert isinstance(entry, URLPattern)
                name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
                pattern = prefix + str(entry.pattern)
                yield Route(pattern, name, pattern.startswith("admin/"))

    return walk(get_resolver().url_patterns, "", None)


FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>\[a-z0-9\]\+\)/\?\$$")


def base_pattern(pattern: str) -> str:
    """A DRF format-suffix pattern (``….(?P<format>…)``) is answered like its base."""
    return FORMAT_SUFFIX.sub("/$", pattern)


def concrete(pattern: str, values: dict[str, str]) -> str:
    """A path of the pattern, with each parameter replaced by its value."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
    path = path.replace("\\.", ".").replace("^", "").replace("$", "").replace("/?", "")
    return "/" + path


# --- expectations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """How to call a pattern and what each role gets.

    ``expect``: ``"L=… C=… M=… S=… A=…"``; each value is one answer for every relation, or
    three (own, recipient, other) separated by ``/``. ``login``: a redirect to the sign-in
    page; ``admin``: to the admin's.
    """

    method: str
    objects: str  # which object the path parameters name (see ``parameters``)
    expect: str
    body: dict | None = None

    def answers(self) -> dict[tuple[str, str], str]:
        letters = dict(item.split("=") for item in self.expect.split())
        table = {}
        for role in ROLES:
            values = letters[role[0].upper()].split("/")
            values = values * 3 if len(values) == 1 else values
            for relation, value in zip(RELATIONS, values, strict=True):
                table[(role, relation)] = value
        return table


AMENDMENT = {
    "reason": "Dates moved.",
    "exercise": {
        "name": "Steadfast Resolve",
        "activity_type": "field_training",
        "purpose": "Brigade field training",
        "command_level": "brigade",
        "start_date": (dt.date.today() + dt.timedelta(days=70)).isoformat(),
        "end_date": (dt.date.today() + dt.timedelta(days=75)).isoformat(),
        "area": {"description": "Training area", "polygon": factories.POLYGON},
        "troops": 1200,
        "participating_states": ["RS"],
    },
}

# Shorthands for the usual rows.
SEEN = "L=200/200/404 C=200/200/404 M=200/200/404 S=200 A=login"
SEEN_API = "L=200/200/404 C=200/200/404 M=200/200/404 S=200 A=401"
ANY_ROLE = "L=200 C=200 M=200 S=200 A=login"
ANY_ROLE_API = "L=200 C=200 M=200 S=200 A=401"
SECRETARIAT = "L=403 C=403 M=403 S=200 A=login"
SECRETARIAT_API = "L=403 C=403 M=403 S=200 A=401"
PUBLIC = "L=200 C=200 M=200 S=200 A=200"

EXPECTATIONS: dict[str, Case] = {
    # --- the web pages ---
    "login/": Case("GET", "none", "L=302 C=302 M=302 S=302 A=200"),
    "logout/": Case("POST", "none", "L=login C=login M=login S=login A=login"),
    "account/": Case("GET", "none", ANY_ROLE),
    # Anyone may choose the interface language, signed in or not.
    "language/": Case("POST", "none", "L=302 C=302 M=302 S=302 A=302", {"language": "hr"}),
    "account/two-factor/setup/": Case("GET", "none", ANY_ROLE),
    "account/two-factor/verify/": Case("GET", "none", "L=302 C=302 M=302 S=302 A=login"),
    # Without a second factor given in this session: first give it.
    "account/two-factor/recovery-codes/": Case("POST", "none", "L=302 C=302 M=302 S=302 A=login"),
    "account/tokens/": Case("POST", "none", ANY_ROLE, {"label": "matrix"}),
    "account/tokens/<int:pk>/revoke/": Case(
        "POST", "api-token", "L=302/404/404 C=302/404/404 M=302/404/404 S=302/404/404 A=login"
    ),
    "account/password/": Case("GET", "none", ANY_ROLE),
    "account/password/done/": Case("GET", "none", ANY_ROLE),
    "": Case("GET", "none", "L=200 C=200 M=302 S=200 A=login"),
    "notices/": Case("GET", "none", ANY_ROLE),
    "notices/new/": Case("GET", "none", "L=200 C=403 M=403 S=403 A=login"),
    "notices/new/<str:kind>/": Case("GET", "kind", "L=200 C=403 M=403 S=403 A=login"),
    # The assessment of a draft (nothing is written) for a commitment the role may see.
    "notices/assess/": Case("POST", "none", ANY_ROLE),
    "notices/<int:pk>/": Case("GET", "notice", SEEN),
    "notices/<int:pk>/versions/<int:number>/": Case("GET", "notice", SEEN),
    "notices/<int:pk>/diff/": Case("GET", "notice", SEEN),
    "notices/<int:pk>/amend/": Case(
        "GET", "notice", "L=200/403/404 C=403/403/404 M=403/403/404 S=403 A=login"
    ),
    "notices/<int:pk>/cancel/": Case(
        "GET", "notice", "L=200/403/404 C=403/403/404 M=403/403/404 S=403 A=login"
    ),
    "notices/<int:pk>/versions/<int:number>/receipt/": Case("GET", "notice", SEEN),
    "notices/<int:pk>/acknowledge/": Case(
        "POST",
        "notice",
        "L=403/403/404 C=403/302/404 M=403/403/404 S=403 A=login",
        {"version": "1"},
    ),
    "notices/<int:pk>/ask/": Case(
        "GET", "notice", "L=403/403/404 C=403/200/404 M=403/403/404 S=403 A=login"
    ),
    "notices/<int:pk>/deliveries/": Case(
        "GET", "notice", "L=200/403/404 C=200/403/404 M=200/200/404 S=200 A=login"
    ),
    "clarifications/<int:pk>/answer/": Case(
        "GET", "clarification", "L=200/403/404 C=403/403/404 M=403/403/404 S=403/403/403 A=login"
    ),
    "inbox/": Case("GET", "none", "L=200 C=200 M=200 S=200 A=login"),
    "alerts/": Case("GET", "none", ANY_ROLE),
    "deliveries/health/": Case("GET", "none", SECRETARIAT),
    "deliveries/<int:pk>/replay/": Case("POST", "delivery", "L=403 C=403 M=403 S=302 A=login"),
    "endpoints/<int:pk>/<str:action>/": Case("POST", "endpoint", "L=403 C=403 M=403 S=302 A=login"),
    "compliance/": Case("GET", "none", "L=302 C=302 M=200 S=200 A=login"),
    "compliance/trends/": Case("GET", "none", ANY_ROLE),  # a state's officials: their own
    "compliance/export/": Case(
        "POST",
        "none",
        "L=302 C=302 M=302 S=302 A=login",
        {"commitment": "WB-RTA", "first_year": "2026", "last_year": "2026", "format": "csv"},
    ),
    "compliance/exports/<int:pk>/": Case(
        "GET", "export", "L=200/404/404 C=200/404/404 M=200/404/404 S=200/404/404 A=login"
    ),
    "compliance/exports/<int:pk>/download/": Case(
        "GET", "export", "L=302/404/404 C=302/404/404 M=302/404/404 S=302/404/404 A=login"
    ),
    "compliance/exports/<int:pk>/build/": Case(
        "POST", "export", "L=302/404/404 C=302/404/404 M=302/404/404 S=302/404/404 A=login"
    ),
    "compliance/<str:code>/": Case(
        "GET", "state", "L=200/403/403 C=200/403/403 M=200 S=200 A=login"
    ),
    "compliance/<str:code>/evidence/<str:section>/": Case(
        "GET", "evidence-section", "L=200/403/403 C=200/403/403 M=200 S=200 A=login"
    ),
    "compliance/<str:code>/evidence/<str:section>/<str:figure>/": Case(
        "GET", "evidence", "L=200/403/403 C=200/403/403 M=200 S=200 A=login"
    ),
    "findings/": Case("GET", "none", ANY_ROLE),
    "findings/new/": Case("GET", "none", "L=403 C=403 M=200 S=403 A=login"),
    "calendar/": Case("GET", "none", ANY_ROLE),
    "calendar/feed/": Case("GET", "none", ANY_ROLE),
    "calendar/feed/<str:key>.ics": Case("GET", "feed", "L=404 C=404 M=404 S=404 A=404"),
    "ledger/": Case("GET", "none", ANY_ROLE),
    "ledger/verify/": Case("POST", "none", "L=403 C=403 M=302 S=302 A=login"),
    # --- the API ---
    "api/v1/auth/token/": Case("POST", "none", "L=400 C=400 M=400 S=400 A=400"),
    "api/v1/auth/tokens/": Case("GET", "none", ANY_ROLE_API),
    "api/v1/auth/tokens/<int:pk>/": Case(
        "DELETE", "api-token", "L=204/404/404 C=204/404/404 M=204/404/404 S=204 A=401"
    ),
    "api/v1/compliance/": Case("GET", "none", "L=200 C=200 M=200 S=200 A=401"),
    "api/v1/schema/": Case("GET", "none", PUBLIC),
    "api/v1/docs/": Case("GET", "none", PUBLIC),
    "api/v1/redoc/": Case("GET", "none", PUBLIC),
    "api/v1/keys/": Case("GET", "none", PUBLIC),
    "api/v1/inbox/": Case("GET", "none", ANY_ROLE_API),
    "api/v1/notices/<int:pk>/acknowledge/": Case(
        "POST", "notice", "L=403/403/404 C=403/201/404 M=403/403/404 S=403 A=401", {"version": 1}
    ),
    "api/v1/notices/<int:pk>/clarifications/": Case("GET", "notice", SEEN_API),
    "api/v1/notices/<int:pk>/deliveries/": Case(
        "GET", "notice", "L=200/403/404 C=200/403/404 M=200/200/404 S=200 A=401"
    ),
    "api/v1/acknowledgements/signed/<str:token>/": Case(
        "POST", "signed", "L=403 C=403 M=403 S=403 A=403"
    ),
    "api/v1/^endpoints/$": Case("GET", "none", SECRETARIAT_API),
    "api/v1/^endpoints/(?P<pk>[^/.]+)/$": Case("GET", "endpoint", SECRETARIAT_API),
    "api/v1/^endpoints/(?P<pk>[^/.]+)/replay/$": Case(
        "POST", "endpoint", SECRETARIAT_API, {"since": "2026-01-01T00:00:00Z"}
    ),
    "api/v1/^endpoints/(?P<pk>[^/.]+)/resume/$": Case("POST", "endpoint", SECRETARIAT_API),
    # The endpoints are e-mail ones, which have no secret to rotate: refused, 400.
    "api/v1/^endpoints/(?P<pk>[^/.]+)/rotate-secret/$": Case(
        "POST", "endpoint", "L=403 C=403 M=403 S=400 A=401"
    ),
    "api/v1/^endpoints/(?P<pk>[^/.]+)/suspend/$": Case("POST", "endpoint", SECRETARIAT_API),
    "api/v1/^deliveries/$": Case("GET", "none", SECRETARIAT_API),
    "api/v1/^deliveries/(?P<pk>[^/.]+)/$": Case("GET", "delivery", SECRETARIAT_API),
    "api/v1/^deliveries/(?P<pk>[^/.]+)/replay/$": Case("POST", "delivery", SECRETARIAT_API),
    "api/v1/^clarifications/$": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^clarifications/(?P<pk>[^/.]+)/$": Case("GET", "clarification", SEEN_API),
    "api/v1/^clarifications/(?P<pk>[^/.]+)/answer/$": Case(
        "POST",
        "clarification",
        "L=200/403/404 C=403/403/404 M=403/403/404 S=403 A=401",
        {"answer": "Yes, on request."},
    ),
    "api/v1/ledger/checkpoint/": Case("GET", "none", "L=404 C=404 M=404 S=404 A=401"),
    "api/v1/ledger/entries/": Case("GET", "none", ANY_ROLE_API),
    "api/v1/ledger/proof/inclusion/": Case("GET", "none", "L=400 C=400 M=400 S=400 A=401"),
    "api/v1/ledger/proof/consistency/": Case("GET", "none", "L=400 C=400 M=400 S=400 A=401"),
    "api/v1/ledger/key/": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^notices/$": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^notices/(?P<pk>[^/.]+)/$": Case("GET", "notice", SEEN_API),
    "api/v1/^notices/(?P<pk>[^/.]+)/amend/$": Case(
        "POST", "notice", "L=201/403/404 C=403/403/404 M=403/403/404 S=403 A=401", AMENDMENT
    ),
    "api/v1/^notices/(?P<pk>[^/.]+)/cancel/$": Case(
        "POST",
        "spare-notice",
        "L=201/403/404 C=403/403/404 M=403/403/404 S=403 A=401",
        {"reason": "Called off."},
    ),
    "api/v1/^notices/(?P<pk>[^/.]+)/versions/(?P<number>[0-9]+)/$": Case("GET", "notice", SEEN_API),
    "api/v1/^states/$": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^states/(?P<code>[^/.]+)/$": Case("GET", "state", ANY_ROLE_API),
    "api/v1/^commitments/$": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^commitments/(?P<code>[^/.]+)/$": Case(
        "GET", "commitment", "L=200 C=200 M=200/200/404 S=200 A=401"
    ),
    "api/v1/^findings/$": Case("GET", "none", ANY_ROLE_API),
    "api/v1/^findings/(?P<pk>[^/.]+)/$": Case(
        "GET", "finding", "L=200/404/404 C=200/404/404 M=200/200/404 S=200 A=401"
    ),
    "api/v1/": Case("GET", "none", ANY_ROLE_API),
}


def admin_case(route: Route) -> Case:
    """The admin: the secretariat (staff) gets what its permissions allow; everyone else,
    signed in or not, is sent to the admin's sign-in page."""
    others = "L=admin C=admin M=admin A=admin"
    if route.name == "admin:login":
        return Case("GET", "none", "L=200 C=200 M=200 S=302 A=200")
    if route.name == "admin:logout":
        return Case("POST", "none", "L=302 C=302 M=302 S=login A=302")  # 302: to /admin/
    status = admin_status_for_secretariat(route)
    return Case("GET", "admin", f"{others} S={status}")


ADMIN_ACTIONS = {
    "changelist": "view",
    "add": "add",
    "change": "view",
    "delete": "delete",
    "history": "view",
}


USER_PASSWORD = "admin:auth_user_password_change"


def admin_status_for_secretariat(route: Route) -> str:
    match = route.name != USER_PASSWORD and re.fullmatch(
        r"admin:(\w+?)_([a-z0-9]+)_(changelist|add|change|delete|history)", route.name
    )
    if not match:
        # index, app list, password change, jsi18n, autocomplete, view on site, catch-all
        return {
            "admin:index": "200",
            "admin:app_list": "200",
            "admin:password_change": "200",
            "admin:password_change_done": "200",
            USER_PASSWORD: "200",
            "admin:jsi18n": "200",
            "admin:autocomplete": "403",
            "admin:view_on_site": "404",
        }.get(route.name, "404" if route.pattern.endswith("(?P<url>.*)$") else "302")
    model_admin = admin_for(match.group(1), match.group(2))
    if match.group(3) in ("change", "delete", "history") and not first_row(model_admin.model):
        return "302"  # no such object: back to the admin's index
    request = type("Request", (), {"user": user("secretariat")})()
    allowed = {
        "view": model_admin.has_view_or_change_permission(request),
        "add": model_admin.has_add_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }[ADMIN_ACTIONS[match.group(3)]]
    return "200" if allowed else "403"


def first_row(model):
    return model._default_manager.order_by("pk").first()


def admin_for(app_label: str, model_name: str):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == app_label and model._meta.model_name == model_name:
            return model_admin
    raise LookupError(f"no admin for {app_label}.{model_name}")


def case_for(route: Route) -> Case | None:
    if route.admin:
        return admin_case(route)
    return EXPECTATIONS.get(base_pattern(route.pattern))


# --- calling -----------------------------------------------------------------------------


def parameters(world: World, route: Route, case: Case, role: str, relation: str) -> dict:
    code = STATE_OF.get(role, DEFAULT_STATES)[relation]
    notice = world.notices[code]
    persona = PERSONAS.get(role, "rs-liaison")
    owner = persona if relation == "own" else "al-liaison"
    values = {"format": "json", "number": "1", "kind": "exercise", "action": "resume"}
    values.update(
        {
            "none": {},
            "notice": {"pk": str(notice.pk)},
            "spare-notice": {"pk": str(world.spare_notices[code].pk)},
            "clarification": {"pk": str(world.clarifications[code].pk)},
            "delivery": {"pk": str(world.deliveries[code].pk)},
            "endpoint": {"pk": str(world.endpoints[code].pk)},
            "finding": {"pk": str(world.findings[code].pk)},
            "export": {"pk": str(world.exports[owner].pk)},
            "api-token": {"pk": str(world.tokens[owner].pk)},
            "state": {"code": code},
            "commitment": {"code": COMMITMENT_OF[relation]},
            "evidence": {"code": code, "section": "exercises", "figure": "notifiable"},
            "evidence-section": {"code": code, "section": "findings"},
            "signed": {"token": "not-a-valid-link"},
            "feed": {"key": "not-a-feed-key"},
            "kind": {},
            "admin": admin_parameters(route),
        }[case.objects]
    )
    return values


def admin_parameters(route: Route) -> dict:
    name = "admin:auth_user_change" if route.name == USER_PASSWORD else route.name
    match = re.fullmatch(r"admin:(\w+?)_([a-z0-9]+)_(change|delete|history)", name)
    values = {"app_label": "registry", "url": "no-such-page/", "content_type_id": "1"}
    if match:
        model = admin_for(match.group(1), match.group(2)).model
        row = first_row(model)
        values["object_id"] = str(row.pk if row is not None else MISSING_ID)
    else:
        values["object_id"] = str(MISSING_ID)
    values["id"] = values["object_id"]  # the user admin's password page
    return values


def client_for(world: World, role: str, route: Route) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if route.pattern.startswith("api/"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world.keys[PERSONAS[role]]}"
    else:
        client.force_login(user(PERSONAS[role]))
    return client


def call(client: Client, method: str, path: str, body: dict | None, *, api: bool):
    query = evidence_query(path)
    if method == "GET":
        return client.get(path + query)
    if api:
        return client.generic(method, path, json.dumps(body or {}), "application/json")
    return getattr(client, method.lower())(path + query, body or {})


def evidence_query(path: str) -> str:
    """The query string a page needs to show something (a commitment, a kind)."""
    if "/evidence/" in path or re.fullmatch(r"/compliance/[A-Z]{2}/", path):
        return "?commitment=WB-RTA&year=2026"
    if path == "/api/v1/compliance/":
        return "?commitment=WB-RTA&year=2026"
    if path in ("/notices/new/exercise/", "/notices/assess/"):
        return "?commitment=WB-RTA&kind=exercise"
    return ""


def outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith("/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin"
        return "302"
    return str(response.status_code)


# --- the tests ---------------------------------------------------------------------------

#: Objects that do not depend on the relation: one call per role.
SINGLE = ("none", "admin", "kind", "signed", "feed")


def test_every_url_pattern_has_an_expectation(seeded) -> None:
    missing = [route.pattern for route in routes() if case_for(route) is None]
    assert not missing, f"URL patterns without an expectation in the matrix: {missing}"
    stale = set(EXPECTATIONS) - {base_pattern(route.pattern) for route in routes()}
    assert not stale, f"expectations of patterns that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_isolation_matrix(world: World, role: str) -> None:
    """Every pattern × this role × own / recipient / other object: the expected answer."""
    wrong = []
    for route in routes():
        case = case_for(route)
        if case is None:
            wrong.append(f"{route.pattern}: no expectation")
            continue
        answers = case.answers()
        relations = RELATIONS if case.objects not in SINGLE else ("own",)
        for relation in relations:
            expected = answers[(role, relation)]
            path = concrete(route.pattern, parameters(world, route, case, role, relation))
            api = route.pattern.startswith("api/")
            response = call(client_for(world, role, route), case.method, path, case.body, api=api)
            got = outcome(response)
            if got != expected:
                wrong.append(f"{case.method} {path} as {role} ({relation}): {got}, not {expected}")
            elif got == "404" and case.objects not in SINGLE:
                wrong += same_as_missing(world, route, case, role, relation, response)
    assert not wrong, "\n".join(wrong)


def same_as_missing(world, route, case, role, relation, response) -> list[str]:
    """A 404 for another state's object says exactly what a 404 for no object says."""
    values = parameters(world, route, case, role, relation)
    for key in ("pk", "code"):
        if key in values:
            values[key] = str(MISSING_ID) if key == "pk" else "ZZ"
    path = concrete(route.pattern, values)
    api = route.pattern.startswith("api/")
    missing = call(client_for(world, role, route), case.method, path, case.body, api=api)
    if missing.status_code != 404 or (api and missing.content != response.content):
        return [f"{case.method} {path} as {role}: another state's object is told from none"]
    return []
