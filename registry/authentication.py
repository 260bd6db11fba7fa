"""API token authentication: ``Authorization: Token <key>``, checked against a stored hash."""

from __future__ import annotations

from functools import cache, partial

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from registry import written_sql as sql
from registry.models import ApiToken, Official, State
from registry.models.officials import hash_token


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = active_token(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token


def active_token(key: str) -> ApiToken | None:
    """The unrevoked, unexpired token with this key, with its user, the user's registry role
    and its state loaded in the same statement.

    It is what ``ApiToken.objects.active().select_related("user", "user__official",
    "user__official__state")`` loads, written out once (``registry.written_sql``).
    """
    rows = sql.fetch_all(_token_sql(), [hash_token(key), timezone.now()])
    if not rows:
        return None
    token, user, official, state = sql.instances(_loaded_models(), rows[0])
    official_user = Official._meta.get_field("user")
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    official_user.remote_field.set_cached_value(user, official)
    if official is not None:
        official_user.set_cached_value(official, user)
        Official._meta.get_field("state").set_cached_value(official, state)
    return token


def _loaded_models() -> tuple[type[Model], ...]:
    return (ApiToken, get_user_model(), Official, State)


@cache
def _token_sql() -> str:
    models = _loaded_models()
    token, user, official, state = models
    aliased = list(zip(models, "tuos", strict=True))
    t, u, o, s = (partial(sql.column, model, alias=alias) for model, alias in aliased)
    columns = ", ".join(sql.select_list(model, alias) for model, alias in aliased)
    return (
        f"SELECT {columns} FROM {sql.table(token)} t "
        f"JOIN {sql.table(user)} u ON {u('pk')} = {t('user')} "
        f"LEFT JOIN {sql.table(official)} o ON {o('user')} = {u('pk')} "
        f"LEFT JOIN {sql.table(state)} s ON {s('pk')} = {o('state')} "
        f"WHERE {t('key_hash')} = %s AND {t('revoked_at')} IS NULL AND {t('expires_at')} > %s"
    )
