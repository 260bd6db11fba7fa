"""API throttles whose rates are read from the settings at each request (configurable per
deployment, and switched off in the tests that do not test them)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling


class UserThrottle(throttling.UserRateThrottle):
    """Requests per signed-in user (by user id), or per client address when anonymous."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_USER


class AnonymousThrottle(throttling.AnonRateThrottle):
    """Requests per client address, for requests without a user."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_ANON


class SignInThrottle(throttling.AnonRateThrottle):
    """Token requests (username, password and code) per client address."""

    scope = "sign_in"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_SIGN_IN
