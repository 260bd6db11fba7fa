"""The interface in the region's languages: every string marked and translated, the language
chosen once and kept, dates and vocabularies in the reader's language, notices as filed."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.utils import formats, translation
from django.utils.translation import gettext

from registry.models import Official
from registry.vocabulary import ActivityType, NoticeStatus
from tests import factories

TEMPLATES = Path(settings.BASE_DIR) / "templates"
#: Text of the templates that is not the interface's language: literal protocol syntax.
NOT_LANGUAGE = {"Authorization: Token …"}
#: Attributes whose values people read.
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
LETTERS = re.compile(r"[A-Za-z]{2,}")


# --- every string marked, every string translated -------------------------------------------


def test_every_string_has_a_translation_in_every_language():
    """Extracts the strings of the code and templates afresh (into a scratch copy) and fails,
    naming each, for any without a translation, or any catalogue not compiled."""
    call_command("translations", check=True)


class TemplateText(HTMLParser):
    """The text a reader sees in a template, outside ``{% translate %}`` and the like."""

    def __init__(self) -> None:
        super().__init__()
        self.unmarked: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag, attrs) -> None:
        self._in_code += tag in ("script", "style")
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and LETTERS.search(value):
                self.unmarked.append(f"{name}={value!r}")

    def handle_endtag(self, tag) -> None:
        self._in_code -= tag in ("script", "style")

    def handle_data(self, data) -> None:
        if not self._in_code and LETTERS.search(data) and data.strip() not in NOT_LANGUAGE:
            self.unmarked.append(repr(data.strip()))


def unmarked_text(source: str) -> list[str]:
    """The template's readable text that is not marked for translation: template tags and
    variables stand in as ``§``, and what ``blocktranslate`` encloses is marked."""
    flat, depth = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            depth += bool(re.match(r"(blocktranslate|blocktrans|comment)\b", token.contents))
            depth -= bool(
                re.match(r"(endblocktranslate|endblocktrans|endcomment)\b", token.contents)
            )
            flat.append("§")
        elif token.token_type == TokenType.VAR:
            flat.append("§")
        elif token.token_type == TokenType.TEXT and depth == 0:
            flat.append(token.contents)
    parser = TemplateText()
    parser.feed("".join(flat))
    return parser.unmarked


def test_the_template_check_finds_unmarked_text():
    assert unmarked_text('<p title="Help">Filed on {{ day }}</p>') == [
        "title='Help'",
        "'Filed on §'",
    ]
    assert (
        unmarked_text(
            '{% load i18n %}<p title="{% translate "Help" %}">{% blocktranslate %}Filed on '
            "{{ day }}{% endblocktranslate %}</p>"
        )
        == []
    )
    assert unmarked_text('{% load i18n %}<p>{% translate "Filed" %} {{ day }}</p>') == []
    assert unmarked_text("{# A comment for the next engineer #}<p>{{ day }}</p>") == []


@pytest.mark.parametrize(
    "template",
    sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        # Swagger UI and ReDoc pages: the libraries' own shells, no text of ours.
        if path.parent.name != "drf_spectacular"
    ),
)
def test_every_template_text_is_marked_for_translation(template):
    assert unmarked_text((TEMPLATES / template).read_text()) == []


# --- what is translated, and what is not -------------------------------------------------------


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES if code != "en"])
def test_vocabularies_and_statuses_are_translated(language):
    with translation.override(language):
        assert str(ActivityType.LIVE_FIRE.label) != "Live fire"
        assert str(NoticeStatus.CANCELLED.label) != "Cancelled"
        assert gettext("Notices") != "Notices"


def test_serbian_latin_is_serbian_cyrillic_transliterated():
    with translation.override("sr"):
        cyrillic = gettext("Notices")
    with translation.override("sr-latn"):
        latin = gettext("Notices")
    assert re.search("[\u0400-\u04ff]", cyrillic)
    assert latin != cyrillic and not re.search("[\u0400-\u04ff]", latin)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("hr", "3. svibnja 2027."),
        ("mk", "03 Мај 2027"),  # noqa: RUF001 (Macedonian Cyrillic)
        ("cnr", "3. maj 2027."),
        ("en", "May 3, 2027"),
    ],
)
def test_dates_are_written_the_readers_way(language, expected):
    with translation.override(language):
        assert formats.date_format(dt.date(2027, 5, 3)) == expected


# --- the language switcher ---------------------------------------------------------------


def choose(client, language: str, next_url: str = "/notices/"):
    return client.post("/language/", {"language": language, "next": next_url})


def test_the_choice_is_remembered_on_the_account(client, liaison_rs):
    client.force_login(liaison_rs)
    response = choose(client, "sr")
    assert response.status_code == 302 and response["Location"] == "/notices/"
    assert Official.objects.get(user=liaison_rs).language == "sr"

    client.cookies.clear()  # another browser, another day
    client.force_login(liaison_rs)
    page = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("sr"):
        title = gettext("Notices")
    assert '<html lang="sr">' in page and f"<h1>{title}</h1>" in page


def test_before_signing_in_the_choice_is_kept_in_the_browser(client, seeded):
    assert choose(client, "sq", "/login/").status_code == 302
    page = client.get("/login/").content.decode()
    with translation.override("sq"):
        assert '<html lang="sq">' in page and gettext("Sign in") in page


def test_an_unknown_language_changes_nothing(client, liaison_rs):
    client.force_login(liaison_rs)
    assert choose(client, "xx").status_code == 302
    assert Official.objects.get(user=liaison_rs).language == ""
    assert '<html lang="en">' in client.get("/notices/").content.decode()


def test_notice_content_stays_as_filed(client, liaison_rs, wb_rta):
    notice = factories.file_exercise(liaison_rs, wb_rta, name="Vežba Sloboda 2027").notice
    client.force_login(liaison_rs)
    choose(client, "mk")
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert '<html lang="mk">' in page and "Vežba Sloboda 2027" in page


def test_what_the_registry_writes_itself_is_stored_in_its_own_language(liaison_rs, wb_rta):
    """A flag raised by a filing made in Macedonian is recorded (and logged) in English."""
    threshold = wb_rta.threshold_troops
    with translation.override("mk"):
        filing = factories.file_exercise(liaison_rs, wb_rta, troops=threshold - 1)
    note = filing.notice.findings.get().note
    assert f"{threshold - 1} troops declared, just under the threshold of {threshold}" in note
