"""The production settings (``DEBUG=0`` with the required environment): ``check --deploy``
finds nothing, and the hardening is on by default. Run in a fresh process, since the
settings are read once, from the environment."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
#: Variables of the test process that a production process would not have (the browser
#: tests lift Django's async guard for Playwright).
INHERITED_NOT = ("DEBUG", "REGISTRY_", "DJANGO_ALLOW_ASYNC_UNSAFE")


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    key = "whsk_" + base64.b64encode(os.urandom(32)).decode()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(INHERITED_NOT)},
        "DEBUG": "0",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "ALLOWED_HOSTS": "registry.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://registry.example.org",
        "REGISTRY_BASE_URL": "https://registry.example.org",
        "REGISTRY_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "REGISTRY_WEBHOOK_SIGNING_KEY": key,
        "REGISTRY_LEDGER_SIGNING_KEY": "whsk_" + base64.b64encode(os.urandom(32)).decode(),
        "REGISTRY_SECRETS_KEY": Fernet.generate_key().decode(),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_finds_nothing(production_env):
    done = run(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_production_defaults(production_env):
    names = [
        "REGISTRY_REQUIRE_2FA",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "AXES_ENABLED",
    ]
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    done = run(production_env, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values == {
        "REGISTRY_REQUIRE_2FA": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 63072000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
        "AXES_ENABLED": True,
    }


def test_the_secret_key_comes_only_from_the_environment(production_env):
    env = {k: v for k, v in production_env.items() if k != "SECRET_KEY"}
    done = run(env, "check")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_the_demo_leaves_two_factor_off(production_env, tmp_path):
    demo = {k: v for k, v in production_env.items() if k not in ("DEBUG", "SECRET_KEY")}
    demo["REGISTRY_VAR_DIR"] = str(tmp_path)
    code = "from django.conf import settings as s; print(s.DEBUG, s.REGISTRY_REQUIRE_2FA)"
    done = run(demo, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["True", "False"]


def test_the_web_process_keeps_its_views_out_of_the_collectors_scans(production_env):
    probe = (
        "import gc, registry.wsgi, registry.api as api; "
        "print(gc.get_freeze_count(), any(o is api.NoticeViewSet for o in gc.get_objects()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, view_scanned = result.stdout.split()
    assert int(frozen) > 10_000 and view_scanned == "False"
