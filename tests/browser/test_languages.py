"""The interface in the reader's language, in a real browser: chosen with the keyboard from
any page, kept across sign-ins, and as accessible as in English."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from registry.models import Official
from tests.browser.pages import axe_violations, sign_in, snapshot, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def choose_language(page, language: str) -> None:
    """With the keyboard alone: to the switcher, pick the language, submit."""
    switcher = page.locator("#language-choice")
    tab_to(page, switcher)
    switcher.select_option(language)
    page.keyboard.press("Tab")
    expect(page.locator(".language-form button")).to_be_focused()
    page.keyboard.press("Enter")


def test_a_montenegrin_liaison_reads_the_registry_in_montenegrin_at_every_sign_in(
    page, live_server, liaison_rs, artifacts
):
    sign_in(page, live_server, "rs-liaison")
    page.goto(f"{live_server.url}/notices/")
    choose_language(page, "cnr")
    expect(page.locator("html")).to_have_attribute("lang", "cnr")
    expect(page.get_by_role("heading", level=1)).to_have_text(in_language("cnr", "Notices"))
    assert page.url.endswith("/notices/")
    assert axe_violations(page) == []
    snapshot(page, artifacts / "notices-in-montenegrin.png", scroll_to=page.locator("h1"))
    assert Official.objects.get(user=liaison_rs).language == "cnr"

    page.context.clear_cookies()  # another browser
    sign_in(page, live_server, "rs-liaison")
    expect(page.locator("html")).to_have_attribute("lang", "cnr")
    nav = page.get_by_role("navigation", name=in_language("cnr", "Main"))
    expect(nav.get_by_role("link", name=in_language("cnr", "File a notice"))).to_be_visible()


@pytest.mark.parametrize("language", ["sq", "mk", "sr"])
def test_the_sign_in_page_speaks_the_chosen_language(page, live_server, seeded, language):
    page.goto(f"{live_server.url}/login/")
    choose_language(page, language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("button", name=in_language(language, "Sign in"))).to_be_visible()
    assert axe_violations(page) == []
