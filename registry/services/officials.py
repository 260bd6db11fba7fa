"""Onboarding officials and changing their roles."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from registry.ledger import events as ledger_events
from registry.models import Official, State

from .errors import RegistryError

ROLES = ("liaison", "counterpart", "monitor", "secretariat")


def onboard_official(
    *,
    username: str,
    roles: list[str],
    state: State | None = None,
    organisation=None,
    email: str = "",
    password: str | None = None,
) -> Official:
    """Create or update a user and their registry role; the roles given replace the old ones."""
    from django.contrib.auth import get_user_model

    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise RegistryError(_("Give roles among: %s.") % ", ".join(ROLES), {"role": unknown})
    is_secretariat = "secretariat" in roles
    if ("monitor" in roles) != (organisation is not None):
        raise RegistryError(_("A monitor needs an organisation, and only a monitor has one."))
    if bool({"liaison", "counterpart"} & set(roles)) != (state is not None):
        raise RegistryError(_("A liaison or counterpart needs a state, and only they have one."))
    with transaction.atomic():
        user, _created = get_user_model().objects.get_or_create(username=username)
        user.email = email or user.email
        user.is_staff = user.is_superuser = is_secretariat
        if password is not None:
            user.set_password(password)
        user.save()
        official, _created = Official.objects.update_or_create(
            user=user,
            defaults={
                "state": state,
                "organisation": organisation,
                "is_liaison": "liaison" in roles,
                "is_counterpart": "counterpart" in roles,
                "is_secretariat": is_secretariat,
            },
        )
        ledger_events.record_roles_if_changed(user)
    return official
