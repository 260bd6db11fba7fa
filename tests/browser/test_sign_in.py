"""Two-factor sign-in and lockout in a real browser, and the pages under the production
Content Security Policy: nothing on them is blocked by it."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.pages import axe_violations, sign_in, snapshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(secret_text: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for the key the set-up page displays."""
    secret = secret_text.replace(" ", "").upper()
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def csp_violations(page) -> list[str]:
    """Collect what the page's Content Security Policy blocks, as the browser reports it."""
    found: list[str] = []

    def seen(message) -> None:
        # ReDoc's footer shows its maker's logo from their CDN: blocking it is the policy's job.
        if "Content Security Policy" in message.text and CDN_LOGO not in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_enrol_then_sign_in_with_a_code_and_a_recovery_code(
    page, live_server, liaison_rs, settings, artifacts
):
    settings.REGISTRY_REQUIRE_2FA = True
    blocked = csp_violations(page)
    sign_in(page, live_server, "rs-liaison")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr-code svg")).to_be_visible()
    expect(page.get_by_test_id("totp-uri")).to_contain_text("otpauth://totp/")
    secret = page.get_by_test_id("totp-secret").inner_text()
    snapshot(page, artifacts / "two-factor-setup.png", scroll_to=page.locator(".qr-code"))
    assert axe_violations(page) == []
    page.get_by_label("Code", exact=True).fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", c) for c in codes)
    assert axe_violations(page) == []
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Two-factor sign-in")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "rs-liaison")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    assert axe_violations(page) == []
    page.get_by_label("Code", exact=True).fill(code_for(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("link", name="Notices")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "rs-liaison")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("You signed in with a recovery code; 9 are left.")).to_be_visible()
    assert TOTPDevice.objects.filter(user=liaison_rs, confirmed=True).count() == 1
    assert not blocked, "\n".join(blocked)


def test_a_wrong_code_is_refused_with_the_reason(page, live_server, liaison_rs, settings):
    settings.REGISTRY_REQUIRE_2FA = True
    sign_in(page, live_server, "rs-liaison")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code", exact=True).fill(
        "000000" if code_for(secret) != "000000" else "111111"
    )
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not valid.")).to_be_visible()
    page.goto(f"{live_server.url}/notices/")  # nothing opens before the second factor
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(
    page, live_server, liaison_rs, settings, artifacts
):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("rs-liaison")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-in attempts")
    expect(alert).to_contain_text("locked for 15 minutes")
    snapshot(page, artifacts / "locked-out.png", scroll_to=alert)
    sign_in(page, live_server, "rs-liaison")  # the right password is refused as well
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    assert PASSWORD  # the persona's real password was used


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        (
            "rs-liaison",
            ["/", "/notices/", "/notices/new/", "/inbox/", "/ledger/", "/account/", "/calendar/"],
        ),
        (
            "secretariat",
            [
                "/deliveries/health/",
                "/compliance/",
                "/compliance/trends/",
                "/admin/",
                "/admin/registry/apitoken/",
                "/api/v1/docs/",
                "/api/v1/redoc/",
            ],
        ),
    ],
)
def test_pages_work_under_the_content_security_policy(page, live_server, seeded, username, paths):
    blocked = csp_violations(page)
    sign_in(page, live_server, username)
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        page.wait_for_load_state("networkidle")
        inline = page.evaluate(INLINE_SCRIPTS_AND_STYLES)
        assert inline["scripts"] == 0, path
        if not path.startswith(("/admin/", "/api/")):  # our own templates: no style="" either
            assert inline["styles"] == 0, path
    assert not blocked, "\n".join(blocked)


INLINE_SCRIPTS_AND_STYLES = """() => ({
    scripts: document.querySelectorAll('script:not([src]):not([type="application/json"])').length,
    styles: document.querySelectorAll('[style]').length,
})"""
