"""Steps the browser tests share."""

from __future__ import annotations

from tests.conftest import PASSWORD


def snapshot(page, path, *, scroll_to) -> None:
    """A screenshot of the viewport around an element.

    Not a full-page one: in headless Chromium that resizes the page, and later clicks
    can miss their target.
    """
    scroll_to.scroll_into_view_if_needed()
    page.screenshot(path=path)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
