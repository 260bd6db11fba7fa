"""The secret address of a user's iCalendar feed of exercises."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .officials import hash_token


class CalendarFeed(models.Model):
    """One feed a user's calendar program subscribes to, without signing in.

    The address holds a random key; only its SHA-256 is stored, so the address is shown
    once, when it is made. Resetting replaces the key (the old address stops working at
    once). A feed only ever shows what its owner may see now, and it is deleted when the
    owner is deactivated, so re-activating an account does not revive an old address.
    """

    PREFIX = "cal_"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=12, help_text=_("The first characters of the key, to recognise the address.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @staticmethod
    def new_key() -> str:
        return CalendarFeed.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash(key: str) -> str:
        return hash_token(key)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _drop_feed_of_deactivated_user(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        CalendarFeed.objects.filter(user=instance).delete()
