"""Request guards: the size of a request, the length of a web sign-in, the second factor."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from registry.services import accounts

SIGNED_IN_AT = "registry_signed_in_at"
LAST_SEEN = "registry_last_seen"
SECOND_FACTOR_NEEDED = "registry_second_factor_needed"
#: The idle clock is written to the session at most this often (one write a minute).
LAST_SEEN_GRANULARITY = 60


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refusal(request: HttpRequest, field: str, message: str, status: int = 400) -> HttpResponse:
    """A refusal naming the field: JSON for the API, the error page for the web."""
    if is_api(request):
        return JsonResponse({"detail": message, field: [message]}, status=status)
    return render(request, "400.html", {"message": message}, status=status)


class RequestSizeLimitMiddleware:
    """Refuses a body larger than ``REGISTRY_MAX_REQUEST_BYTES`` before anything reads it.

    Django enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when a form is parsed; the API's JSON
    parser reads the stream itself, so the limit is checked here for every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REGISTRY_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, "request", _("The Content-Length header is not a number."))
        if length > limit:
            message = _("The request is larger than %(n)d bytes.") % {"n": limit}
            return refusal(request, "request", message)
        return self.get_response(request)


class NulCharacterMiddleware:
    """Refuses NUL characters anywhere in a request (the query, a form, a JSON body).

    PostgreSQL cannot store or compare text containing them, so one reaching a lookup
    (a state code, a commitment, a filter) would fail in the database; no registry value
    holds one. The answer names the query parameter, or ``request`` for the body.
    """

    #: A NUL as it appears in a raw body: itself, JSON's escape, a form's percent-encoding.
    BODY_FORMS = (b"\x00", b"\\u0000", b"%00")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self.nul_in(request)
        if field is not None:
            return refusal(request, field, _("Null characters are not allowed."))
        return self.get_response(request)

    def nul_in(self, request: HttpRequest) -> str | None:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "") or "request"
        if int(request.META.get("CONTENT_LENGTH") or 0) > 0:
            body = request.body.lower()
            if any(form in body for form in self.BODY_FORMS):
                return "request"
        return None


class SessionTimeoutMiddleware:
    """Ends a web sign-in idle for ``SESSION_IDLE_SECONDS`` or older than
    ``SESSION_COOKIE_AGE``, whichever comes first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            ended = self.check(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        now = int(time.time())
        session = request.session
        started = session.setdefault(SIGNED_IN_AT, now)
        last_seen = session.get(LAST_SEEN, now)
        idle = now - last_seen > settings.SESSION_IDLE_SECONDS
        if idle or now - started > settings.SESSION_COOKIE_AGE:
            logout(request)
            if is_api(request):
                return JsonResponse({"detail": _("Your session has ended.")}, status=403)
            messages.info(request, _("Your session has ended. Please sign in again."))
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if now - last_seen >= LAST_SEEN_GRANULARITY or LAST_SEEN not in session:
            session[LAST_SEEN] = now
        return None


def start_session_clock(request: HttpRequest) -> None:
    """Called at sign-in: the absolute and idle clocks start now."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


class TwoFactorMiddleware:
    """A signed-in user who needs a second factor and has not given it may open only the
    pages that take it (or set it up), and sign out."""

    EXEMPT_URL_NAMES = ("two-factor-verify", "two-factor-setup", "logout", "login")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._exempt: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        pending = user.is_authenticated and not user.is_verified() and self.needed(request)
        if pending and request.path not in self.exempt_paths():
            return self.refuse(request)
        return self.get_response(request)

    def exempt_paths(self) -> set[str]:
        if self._exempt is None:
            self._exempt = {reverse(name) for name in self.EXEMPT_URL_NAMES}
        return self._exempt

    @staticmethod
    def needed(request: HttpRequest) -> bool:
        """Whether the user needs a second factor; kept in the session after the first look."""
        needed = request.session.get(SECOND_FACTOR_NEEDED)
        if needed is None:
            needed = accounts.needs_second_factor(request.user)
            request.session[SECOND_FACTOR_NEEDED] = needed
        return needed

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if is_api(request):
            return JsonResponse(
                {"detail": _("Give your second factor at /account/two-factor/verify/ first.")},
                status=403,
            )
        enrolled = accounts.confirmed_totp(request.user) is not None
        target = reverse("two-factor-verify" if enrolled else "two-factor-setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def signed_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """At each sign-in: start the session clocks; decide afresh whether a second factor is
    needed; a sign-in that needs none is complete, so its failed attempts are forgotten."""
    if request is None or not hasattr(request, "session"):
        return
    start_session_clock(request)
    needed = accounts.needs_second_factor(user)
    request.session[SECOND_FACTOR_NEEDED] = needed
    if not needed:
        accounts.sign_in_completed(user)
