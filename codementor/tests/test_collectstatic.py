"""The Dockerfile's `collectstatic` with production settings (whitenoise's compressed
manifest storage): every vendored file and every url() it references must resolve, or
the image build fails."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_production_collectstatic_succeeds_and_hashes_vendored_assets(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_SETTINGS", "STATICFILES", "DEBUG"))}
    env.update({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)})
    code = (
        "import django, sys; from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(tmp_path / 'static')!r}; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('collectstatic', '--noinput', verbosity=0); "
        "from django.contrib.staticfiles.storage import staticfiles_storage as s; "
        "print(s.__class__.__name__); print(s.url('vendor/chartjs/chart.umd.min.js'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "codementor.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    storage, chart_url = done.stdout.strip().splitlines()[-2:]
    assert storage == "CompressedManifestStaticFilesStorage"
    assert chart_url.startswith("/static/vendor/chartjs/chart.umd.min.") and chart_url != (
        "/static/vendor/chartjs/chart.umd.min.js"
    )
    assert (tmp_path / "static" / "staticfiles.json").exists()
