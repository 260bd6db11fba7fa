"""Sign-in with a second factor, recovery codes and API tokens.

Who needs a second factor: every user with a registry role (and every staff user) when
``REGISTRY_REQUIRE_2FA`` is on, and anyone who has enrolled an authenticator app whatever
the setting. The factor is a TOTP code from the app, or one of the user's one-time
recovery codes. A wrong code counts as a failed sign-in for the lockout (django-axes),
exactly like a wrong password.
"""

from __future__ import annotations

import datetime as dt
import secrets

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import ApiToken, Official, RecoveryCode, RecoveryCodeDevice
from registry.models.officials import hash_recovery_code

from .errors import NotPermitted, RegistryError

#: Letters and digits of a recovery code (RFC 4648 base32: no 0/1/8/9 to confuse).
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RECOVERY_CODE_LENGTH = 16  # 80 bits
MAX_TOKEN_LABEL = 100


# --- who needs a second factor ---------------------------------------------------------


def has_registry_role(user) -> bool:
    return user.is_staff or Official.objects.filter(user=user).exists()


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def needs_second_factor(user) -> bool:
    """Whether this user must give a code after the password."""
    if not user.is_authenticated:
        return False
    if confirmed_totp(user) is not None:
        return True
    return settings.REGISTRY_REQUIRE_2FA and has_registry_role(user)


# --- enrolment -------------------------------------------------------------------------


def start_enrolment(user) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator, created with a fresh key if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def confirm_enrolment(*, user, code: str, request: HttpRequest | None = None) -> list[str]:
    """Confirm the pending authenticator with a code it shows; return new recovery codes.

    The confirmed app replaces any earlier one, and the recovery codes replace earlier ones.
    The codes are returned once, in clear; only their hashes are kept.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise RegistryError(_("Start the set-up again."), {"code": [_("Start the set-up again.")]})
    if not device.verify_token(_digits(code)):
        record_failed_code(user, request)
        raise _wrong_code()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = regenerate_recovery_codes(user)
    return codes


def regenerate_recovery_codes(user) -> list[str]:
    """A new set of one-time recovery codes; every earlier code stops working."""
    codes = [_new_recovery_code() for _ in range(settings.REGISTRY_RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(
            user=user, name=_("Recovery codes"), confirmed=True
        )
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, code_hash=hash_recovery_code(code)) for code in codes
        )
    return codes


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def recovery_codes_left(user) -> int:
    device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    return device.remaining() if device else 0


# --- verification ----------------------------------------------------------------------


def verify_second_factor(user, code: str, request: HttpRequest | None = None) -> Device:
    """The device that accepts ``code`` (the app's TOTP code, or an unused recovery code).

    A wrong code counts toward the lockout and raises ``RegistryError`` naming ``code``.
    """
    code = (code or "").strip()
    for device in _devices(user):
        token = _digits(code) if isinstance(device, TOTPDevice) else code
        if token and verify_token(user, device.persistent_id, token) is not None:
            return device
    record_failed_code(user, request)
    raise _wrong_code()


def _devices(user) -> list[Device]:
    found: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    found += list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
    return found


def _digits(code: str) -> str:
    return "".join((code or "").split())


def _wrong_code() -> RegistryError:
    message = _(
        "That code is not valid. Codes change every 30 seconds; a recovery code works once."
    )
    return RegistryError(message, {"code": [message]})


def record_failed_code(user, request: HttpRequest | None) -> None:
    """Count a wrong code as a failed sign-in of the user (the lockout counts both)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


def sign_in_completed(user) -> None:
    """Both factors (or the one needed) are given: forget the user's failed attempts."""
    reset_lockout(username=user.get_username())


# --- API tokens ------------------------------------------------------------------------


def issue_token(*, user, label: str = "") -> tuple[ApiToken, str]:
    """A new API token for ``user``; the key is returned once and only its hash is kept."""
    label = (label or "").strip()
    if len(label) > MAX_TOKEN_LABEL:
        message = _("At most %(n)d characters.") % {"n": MAX_TOKEN_LABEL}
        raise RegistryError(message, {"label": [message]})
    ttl = dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    return ApiToken.issue(user, ttl, label=label)


def revoke_token(*, token: ApiToken, by) -> bool:
    """Revoke a token (its owner, or the secretariat); False if it was already revoked."""
    official = getattr(by, "official", None)
    if token.user_id != by.pk and not (official and official.is_secretariat):
        raise NotPermitted(_("Only the token's owner or the secretariat can revoke it."))
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return revoked == 1


class SecondFactorRefused(RegistryError):
    """A token request without the second factor its user must give (401)."""

    status_code = 401


def check_token_second_factor(user, code: str, request: HttpRequest | None) -> None:
    """For ``POST /api/v1/auth/token/``: a user who needs a second factor gives ``otp_code``
    (a TOTP code or a recovery code); a wrong one counts toward the lockout."""
    if not needs_second_factor(user):
        return
    if confirmed_totp(user) is None:
        message = _("Set up two-factor sign-in on the web first (/account/two-factor/setup/).")
        raise SecondFactorRefused(message, {"otp_code": [message]})
    if not (code or "").strip():
        message = _("Give the code of your authenticator app (or a recovery code).")
        raise SecondFactorRefused(message, {"otp_code": [message]})
    try:
        verify_second_factor(user, code, request)
    except RegistryError as error:
        raise SecondFactorRefused(error.message, {"otp_code": error.errors["code"]}) from None
    sign_in_completed(user)
