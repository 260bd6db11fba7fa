"""Steps the browser tests share."""

from __future__ import annotations

from pathlib import Path

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


# --- accessibility: axe-core, and the keyboard -------------------------------------------------

#: axe-core from npm, vendored with its licence (tests/browser/axe/README.md).
AXE_SOURCE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
SEVERE_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """The page's serious and critical axe-core violations, one line each.

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern,
    so the pages are checked under their real policy.
    """
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {v['help']}: {'; '.join(v['targets'])}"
        for v in violations
        if v["impact"] in SEVERE_IMPACTS
    ]


def tab_to(page, target, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus: it must be reachable with the keyboard."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with Tab")


def choose_radio(page, target, limit: int = 20) -> None:
    """Tab into the target's radio group, then move with the arrow keys to check it."""
    name = target.get_attribute("name")
    for _ in range(120):
        if page.evaluate(f"document.activeElement.name === {name!r}"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"the radio group {name} cannot be reached with Tab")
    for _ in range(limit):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{target} cannot be checked with the arrow keys")


def type_date(page, field, day) -> None:
    """Tab to a date input and type the date, as the browser's en-US date input reads it."""
    tab_to(page, field)
    page.keyboard.type(f"{day:%m%d%Y}")
