import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_student_and_staff_and_prints_logins(settings):
    settings.DEMO_PASSWORD, settings.ADMIN_PASSWORD = "demo-pass-1", "admin-pass-1"
    out = seed()
    assert "demo / demo-pass-1" in out and "admin / admin-pass-1" in out
    demo, admin = (
        authenticate(username="demo", password="demo-pass-1"),
        authenticate(username="admin", password="admin-pass-1"),
    )
    assert demo is not None and not demo.is_staff and not demo.is_superuser
    assert admin is not None and admin.is_staff and admin.is_superuser


def test_seed_demo_is_idempotent_and_follows_password_changes(settings):
    settings.DEMO_PASSWORD, settings.ADMIN_PASSWORD = "demo-pass-1", "admin-pass-1"
    seed()
    User = get_user_model()  # noqa: N806
    ids = set(User.objects.values_list("pk", flat=True))
    demo_hash = User.objects.get(username="demo").password
    assert "Updated demo" in seed()
    assert set(User.objects.values_list("pk", flat=True)) == ids
    assert User.objects.get(username="demo").password == demo_hash  # unchanged password not re-hashed
    settings.DEMO_PASSWORD = "demo-pass-2"
    seed()
    assert authenticate(username="demo", password="demo-pass-2") is not None
    assert authenticate(username="demo", password="demo-pass-1") is None
    assert User.objects.count() == 2


def test_seed_demo_prints_the_address_make_run_serves_on():
    out = io.StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8765/", stdout=out)
    assert "http://127.0.0.1:8765/accounts/login/ as demo" in out.getvalue()
    assert "http://127.0.0.1:8000/accounts/login/" in seed()  # the default of `make run`
