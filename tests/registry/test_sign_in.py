"""Sign-in: two-factor (TOTP and recovery codes), lockout, session expiry, passwords, API
tokens (issued with the second factor, listed and revoked) and throttling."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from registry.middleware import LAST_SEEN, SIGNED_IN_AT
from registry.models import ApiToken, RecoveryCode
from registry.services import accounts
from tests.conftest import PASSWORD


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or ``steps_ahead`` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Set up an authenticator for ``user`` as the set-up page does."""
    device = accounts.start_enrolment(user)
    codes = accounts.confirm_enrolment(user=user, code=totp_code(device))
    device.refresh_from_db()
    return device, codes


@pytest.fixture
def required(settings):
    settings.REGISTRY_REQUIRE_2FA = True


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


class TestTwoFactorRequired:
    def test_signing_in_leads_to_set_up_and_nothing_else_opens(self, required, liaison_rs):
        client = Client()
        response = sign_in(client, "rs-liaison")
        assert response.status_code == 302
        for path in ["/", "/notices/", "/admin/", "/ledger/"]:
            answer = client.get(path)
            assert answer.status_code == 302
            assert answer["Location"].startswith("/account/two-factor/setup/"), path
        api = client.get("/api/v1/notices/")  # the session does not open the API either
        assert api.status_code == 403
        assert "second factor" in api.json()["detail"]

    def test_set_up_shows_a_qr_code_and_the_key_and_confirms_with_a_code(
        self, required, liaison_rs
    ):
        client = Client()
        sign_in(client, "rs-liaison")
        page = client.get("/account/two-factor/setup/")
        html = page.content.decode()
        assert page.status_code == 200
        assert "<svg" in html and "otpauth://totp/" in html
        device = TOTPDevice.objects.get(user=liaison_rs, confirmed=False)
        assert client.post("/account/two-factor/setup/", {"code": "000000"}).status_code == 200
        assert not TOTPDevice.objects.filter(user=liaison_rs, confirmed=True).exists()
        time.sleep(1.1)  # a wrong code makes the device wait a second
        done = client.post("/account/two-factor/setup/", {"code": totp_code(device)})
        codes = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", done.content.decode())
        assert len(codes) == 10
        assert client.get("/notices/").status_code == 200
        stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
        assert not stored & set(codes), "recovery codes are kept only as hashes"

    def test_a_second_sign_in_asks_for_the_code(self, required, liaison_rs):
        device, _codes = enrol(liaison_rs)
        client = Client()
        sign_in(client, "rs-liaison")
        assert client.get("/notices/")["Location"].startswith("/account/two-factor/verify/")
        wrong = client.post("/account/two-factor/verify/", {"code": "123456", "next": "/"})
        assert "not valid" in wrong.content.decode()
        time.sleep(1.1)
        right = client.post(
            "/account/two-factor/verify/", {"code": totp_code(device, steps_ahead=1)}
        )
        assert right.status_code == 302
        assert client.get("/notices/").status_code == 200

    def test_a_recovery_code_works_once(self, required, liaison_rs):
        _device, codes = enrol(liaison_rs)
        first = Client()
        sign_in(first, "rs-liaison")
        assert (
            first.post("/account/two-factor/verify/", {"code": codes[0].upper()}).status_code == 302
        )
        assert first.get("/notices/").status_code == 200
        again = Client()
        sign_in(again, "rs-liaison")
        reused = again.post("/account/two-factor/verify/", {"code": codes[0]})
        assert reused.status_code == 200
        assert again.get("/notices/").status_code == 302
        assert accounts.recovery_codes_left(liaison_rs) == 9

    def test_new_recovery_codes_replace_the_old_ones(self, liaison_rs):
        _device, old = enrol(liaison_rs)
        new = accounts.regenerate_recovery_codes(liaison_rs)
        assert set(new).isdisjoint(old)
        with pytest.raises(accounts.RegistryError):
            accounts.verify_second_factor(liaison_rs, old[1])
        assert accounts.verify_second_factor(liaison_rs, new[1]) is not None

    def test_who_enrolled_gives_the_code_even_when_it_is_not_required(self, liaison_rs):
        enrol(liaison_rs)
        client = Client()
        sign_in(client, "rs-liaison")
        assert client.get("/notices/")["Location"].startswith("/account/two-factor/verify/")

    def test_not_required_and_not_enrolled_signs_in_with_the_password(self, liaison_rs):
        client = Client()
        sign_in(client, "rs-liaison")
        assert client.get("/notices/").status_code == 200


class TestTokenWithSecondFactor:
    URL = "/api/v1/auth/token/"

    def request(self, **extra):
        body = {"username": "rs-liaison", "password": PASSWORD, **extra}
        return APIClient().post(self.URL, body, format="json")

    def test_required_but_not_enrolled_is_told_to_set_it_up(self, required, liaison_rs):
        answer = self.request()
        assert answer.status_code == 401
        assert "otp_code" in answer.json()

    def test_the_code_is_required_and_checked(self, required, liaison_rs):
        device, codes = enrol(liaison_rs)
        missing = self.request()
        assert missing.status_code == 401 and "otp_code" in missing.json()
        assert self.request(otp_code="000000").status_code == 401
        time.sleep(1.1)
        good = self.request(otp_code=totp_code(device, steps_ahead=1), label="nightly import")
        assert good.status_code == 200, good.content
        assert ApiToken.objects.get(user=liaison_rs).label == "nightly import"
        assert self.request(otp_code=codes[3]).status_code == 200

    def test_without_the_requirement_the_password_is_enough(self, liaison_rs):
        assert self.request().status_code == 200


class TestLockout:
    def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(
        self, lockout, liaison_rs
    ):
        client = Client()
        for _ in range(2):
            assert sign_in(client, "rs-liaison", "wrong-password").status_code == 200
        locked = sign_in(client, "rs-liaison", "wrong-password")
        assert locked.status_code == 429
        assert "locked for 15 minutes" in locked.content.decode()
        assert sign_in(Client(), "rs-liaison").status_code == 429  # the right password too

    def test_wrong_codes_count_and_end_the_half_open_session(self, lockout, liaison_rs):
        enrol(liaison_rs)
        client = Client()
        sign_in(client, "rs-liaison")
        for _ in range(2):
            client.post("/account/two-factor/verify/", {"code": "nope"})
        locked = client.post("/account/two-factor/verify/", {"code": "nope"})
        assert locked.status_code == 429
        assert client.get("/notices/")["Location"].startswith("/login/")

    def test_the_token_endpoint_locks_too(self, lockout, liaison_rs):
        body = {"username": "rs-liaison", "password": "wrong-password"}
        answers = [APIClient().post("/api/v1/auth/token/", body).status_code for _ in range(4)]
        assert answers == [401, 401, 429, 429]
        right = APIClient().post(
            "/api/v1/auth/token/", {"username": "rs-liaison", "password": PASSWORD}
        )
        assert right.status_code == 429
        assert "locked" in right.json()["detail"]

    def test_a_complete_sign_in_forgets_earlier_failures(self, lockout, liaison_rs):
        sign_in(Client(), "rs-liaison", "wrong-password")
        sign_in(Client(), "rs-liaison", "wrong-password")
        assert sign_in(Client(), "rs-liaison").status_code == 302
        assert sign_in(Client(), "rs-liaison", "wrong-password").status_code == 200


class TestSessionExpiry:
    def test_an_idle_session_ends(self, settings, liaison_rs):
        client = Client()
        sign_in(client, "rs-liaison")
        session = client.session
        session[LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
        session.save()
        answer = client.get("/notices/")
        assert answer.status_code == 302 and answer["Location"].startswith("/login/")

    def test_a_session_ends_after_its_absolute_age_however_active(self, settings, liaison_rs):
        client = Client()
        sign_in(client, "rs-liaison")
        session = client.session
        session[SIGNED_IN_AT] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
        session.save()
        assert client.get("/notices/")["Location"].startswith("/login/")

    def test_an_active_session_goes_on(self, liaison_rs):
        client = Client()
        sign_in(client, "rs-liaison")
        assert client.get("/notices/").status_code == 200
        assert client.get("/notices/").status_code == 200


class TestPasswords:
    def test_add_official_refuses_a_weak_password(self, seeded):
        with pytest.raises(CommandError, match="too short"):
            call_command("add_official", "weak.one", "--role", "secretariat", "--password", "abc")

    def test_the_password_change_page_applies_the_validators(self, liaison_rs):
        client = Client()
        sign_in(client, "rs-liaison")
        body = {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"}
        answer = client.post("/account/password/", body)
        assert answer.status_code == 200
        assert "too short" in answer.content.decode()
        strong = "a much longer passphrase 2031"
        body = {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
        assert client.post("/account/password/", body).status_code == 302


class TestApiTokens:
    def test_owners_list_and_revoke_their_own_tokens(self, api, liaison_rs, liaison_hr):
        other, _ = accounts.issue_token(user=liaison_hr)
        client = api.as_user(liaison_rs)
        listed = client.get("/api/v1/auth/tokens/").json()["results"]
        assert [row["user"] for row in listed] == ["rs-liaison"]
        assert client.delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
        mine = listed[0]["id"]
        assert client.delete(f"/api/v1/auth/tokens/{mine}/").status_code == 204
        assert client.get("/api/v1/auth/tokens/").status_code == 401  # that was this token
        other.refresh_from_db()
        assert other.revoked_at is None

    def test_the_secretariat_lists_and_revokes_anyones(self, api, secretariat, liaison_rs):
        token, key = accounts.issue_token(user=liaison_rs, label="import")
        client = api.as_user(secretariat)
        rows = client.get("/api/v1/auth/tokens/?user=rs-liaison").json()["results"]
        assert [row["label"] for row in rows] == ["import"]
        assert client.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
        token.refresh_from_db()
        assert token.revoked_by == secretariat
        probe = APIClient()
        probe.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert probe.get("/api/v1/states/").status_code == 401

    def test_an_expired_token_is_listed_as_inactive_and_refused(self, liaison_rs):
        token, key = accounts.issue_token(user=liaison_rs)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at)
        probe = APIClient()
        probe.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert probe.get("/api/v1/states/").status_code == 401
        client = Client()
        client.force_login(liaison_rs)
        assert "Expired" in client.get("/account/").content.decode()

    def test_the_account_page_creates_shows_once_and_revokes(self, liaison_rs, liaison_hr):
        client = Client()
        client.force_login(liaison_rs)
        created = client.post("/account/tokens/", {"label": "bulk upload"})
        key = re.search(r"(rg_[\w-]+)", created.content.decode()).group(1)
        token = ApiToken.objects.get(user=liaison_rs)
        assert token.label == "bulk upload" and key.startswith(token.hint)
        assert key not in client.get("/account/").content.decode()
        theirs, _ = accounts.issue_token(user=liaison_hr)
        assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
        assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
        token.refresh_from_db()
        assert token.revoked_by == liaison_rs

    def test_the_secretariat_revokes_in_the_admin(self, secretariat, liaison_rs):
        token, _ = accounts.issue_token(user=liaison_rs)
        client = Client()
        client.force_login(secretariat)
        body = {"action": "revoke", "_selected_action": [token.pk]}
        assert client.post("/admin/registry/apitoken/", body).status_code == 302
        token.refresh_from_db()
        assert token.revoked_by == secretariat


class TestThrottling:
    def test_a_user_over_the_rate_is_answered_429(self, settings, api, liaison_rs):
        cache.clear()
        settings.API_THROTTLE_USER = "3/minute"
        client = api.as_user(liaison_rs)
        answers = [client.get("/api/v1/states/").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        cache.clear()

    def test_token_requests_are_limited_per_address(self, settings, liaison_rs):
        cache.clear()
        settings.API_THROTTLE_SIGN_IN = "2/minute"
        body = {"username": "rs-liaison", "password": PASSWORD}
        answers = [APIClient().post("/api/v1/auth/token/", body).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        cache.clear()
