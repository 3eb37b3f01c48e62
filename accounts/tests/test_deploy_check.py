"""`manage.py check --deploy` with DEBUG off: no warnings but the env-switchable HTTPS ones.

The production values come from codementor/settings.py itself, imported in a clean
subprocess with only DEBUG=false and a SECRET_KEY set, so the test follows the real defaults.
"""

import io
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_HTTPONLY",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
]
# What a plain-HTTP deploy may switch off through the environment (SECURE_SSL_REDIRECT,
# SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE, SECURE_HSTS_SECONDS).
HTTPS_ONLY = {"security.W004", "security.W008", "security.W012", "security.W016"}
# HSTS preload is an opt-in to the browsers' preload lists that is hard to undo, so it stays
# off by default; SECURE_HSTS_PRELOAD=true turns it on (and silences W021).
PRELOAD = "security.W021"
HINT = "drf_spectacular.W00x: run `manage.py spectacular --validate` to see which API view needs a schema fix"


def production_settings(**env) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DEBUG", "DJANGO_SETTINGS"))
    }
    clean.update({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), **env})
    code = (
        "import json, codementor.settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {SECURITY_SETTINGS!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    values = json.loads(out.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"]:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return {k: v for k, v in values.items() if v is not None}


def deploy_check_ids(values: dict) -> set[str]:
    out, err = io.StringIO(), io.StringIO()
    with override_settings(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS=["codementor.example.com"], **values):
        try:
            call_command("check", "--deploy", "--fail-level", "ERROR", stdout=out, stderr=err)
        except SystemCheckError as exc:
            return set(re.findall(r"\((\w+\.\w+)\)", str(exc))) | {"ERROR"}
    return set(re.findall(r"\((\w+\.\w+)\)", out.getvalue() + err.getvalue()))


@pytest.mark.django_db
def test_production_defaults_pass_the_deploy_checklist():
    values = production_settings()
    assert values["DEBUG"] is False and values["SECURE_SSL_REDIRECT"] is True
    ids = deploy_check_ids(values)
    assert ids <= {PRELOAD}, (ids - {PRELOAD}, HINT)
    assert deploy_check_ids({**values, "SECURE_HSTS_PRELOAD": True}) <= set()


@pytest.mark.django_db
def test_plain_http_deploy_only_warns_about_https_items():
    values = production_settings(
        SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="0"
    )
    ids = deploy_check_ids(values)
    assert "security.W008" in ids  # the switch really switched something off
    assert ids <= HTTPS_ONLY | {PRELOAD}, (ids - HTTPS_ONLY - {PRELOAD}, HINT)
