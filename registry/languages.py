"""The interface languages (``settings.LANGUAGES``) and each official's choice among them.

Notice content is never translated: it stays as filed. What is translated is the interface
and the controlled vocabularies (``registry.vocabulary``), from the catalogues in
``locale/``. Django knows every language of the region but Montenegrin (``cnr``, ISO 639-3),
which ``register_montenegrin`` adds; its date and number formats are in
``registry/formats/cnr/``.
"""

from __future__ import annotations

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.http import HttpRequest
from django.utils import translation

from registry.selectors import official_of

MONTENEGRIN = {"bidi": False, "code": "cnr", "name": "Montenegrin", "name_local": "Crnogorski"}


def register_montenegrin() -> None:
    LANG_INFO.setdefault("cnr", MONTENEGRIN)


def chosen_language(request: HttpRequest) -> str | None:
    """The language the signed-in official chose, if any (it outranks the browser's)."""
    language = getattr(official_of(getattr(request, "user", None)), "language", "")
    return language if language in dict(settings.LANGUAGES) else None


class ChosenLanguageMiddleware:
    """Speak the official's chosen language, wherever they sign in (after authentication;
    ``LocaleMiddleware`` has already chosen from the cookie and the browser)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        language = chosen_language(request)
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
