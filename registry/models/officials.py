"""Who uses the registry: officials of a state, monitors of an organisation, the secretariat."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from .regimes import Organisation, State


class Official(models.Model):
    """The registry role of a user.

    Exactly one affiliation: a state (with the roles liaison and/or counterpart), a
    monitoring organisation, or the secretariat. A user with no ``Official`` row sees
    nothing.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official"
    )
    state = models.ForeignKey(
        State, null=True, blank=True, on_delete=models.PROTECT, related_name="officials"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="monitors"
    )
    is_liaison = models.BooleanField(
        _("liaison"), default=False, help_text=_("Files notices for the state.")
    )
    is_counterpart = models.BooleanField(
        _("counterpart"),
        default=False,
        help_text=_("Receives and acknowledges notices for the state."),
    )
    is_secretariat = models.BooleanField(_("secretariat"), default=False)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The interface language chosen by the official; empty: the browser's."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(state__isnull=False, organisation__isnull=True, is_secretariat=False)
                    & (Q(is_liaison=True) | Q(is_counterpart=True))
                )
                | Q(
                    state__isnull=True,
                    organisation__isnull=False,
                    is_secretariat=False,
                    is_liaison=False,
                    is_counterpart=False,
                )
                | Q(
                    state__isnull=True,
                    organisation__isnull=True,
                    is_secretariat=True,
                    is_liaison=False,
                    is_counterpart=False,
                ),
                name="official_one_affiliation",
                violation_error_message=_(
                    "An official belongs to one state (as liaison and/or counterpart), "
                    "one monitoring organisation, or the secretariat."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.affiliation})"

    @property
    def is_monitor(self) -> bool:
        return self.organisation_id is not None

    @property
    def affiliation(self) -> str:
        """Who the official is, in the reader's language: "RS liaison+counterpart"."""
        if self.state_id:
            roles = [
                str(field.verbose_name)
                for field, on in (
                    (self._meta.get_field("is_liaison"), self.is_liaison),
                    (self._meta.get_field("is_counterpart"), self.is_counterpart),
                )
                if on
            ]
            return f"{self.state_id} {'+'.join(roles)}"
        if self.organisation_id:
            return gettext("%(organisation)s monitor") % {"organisation": self.organisation_id}
        return str(self._meta.get_field("is_secretariat").verbose_name)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        # registry.authentication.active_token states the same condition in its SQL (the
        # API's hot path); change both together.
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for national systems. Only its SHA-256 is stored; it expires."""

    PREFIX = "rg_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=12, help_text=_("The first characters, to tell tokens apart.")
    )
    label = models.CharField(
        max_length=100, blank=True, help_text=_("What the token is for, in the owner's words.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The owner, or the secretariat official who revoked it."),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @classmethod
    def issue(cls, user, ttl: timezone.timedelta, label: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its key; the key is never shown again."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(key),
            hint=key[:10],
            label=label,
            expires_at=timezone.now() + ttl,
        )
        return token, key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def normalise_recovery_code(code: str) -> str:
    """A recovery code as typed (any case, spaces or dashes) in its canonical form."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's set of one-time recovery codes: the second factor when the phone is lost.

    Each code is 80 random bits, stored only as its SHA-256 and used at most once. A new
    set replaces the old one.
    """

    class Meta:
        verbose_name = _("recovery code set")

    def verify_token(self, token: str) -> bool:
        """Use one unused code of this set (compare-and-set: a code works once)."""
        used = self.codes.filter(code_hash=hash_recovery_code(token), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    """One recovery code, by its hash; ``used_at`` is set when it is spent."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code_hash[:8]}… ({'used' if self.used_at else 'unused'})"
