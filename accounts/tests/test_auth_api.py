import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_token_for_valid_credentials_and_it_authenticates(api):
    user = UserFactory(username="ada")
    response = api.post("/api/v1/auth/token/", {"username": "ada", "password": "pw-123456"}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=user).key == key
    # Same token on the next request: clients may log in repeatedly.
    again = api.post("/api/v1/auth/token/", {"username": "ada", "password": "pw-123456"}, format="json")
    assert again.json()["token"] == key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/progress/").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ada", "password": "wrong"},
        {"username": "nobody", "password": "pw-123456"},
    ],
)
def test_token_rejects_bad_credentials(api, body):
    UserFactory(username="ada")
    response = api.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code in (400, 401, 403) and "token" not in response.json()


def test_token_rejects_inactive_users(api):
    user = UserFactory(username="gone")
    user.is_active = False
    user.save()
    assert (
        api.post("/api/v1/auth/token/", {"username": "gone", "password": "pw-123456"}, format="json").status_code != 200
    )


def test_token_requires_both_fields(api):
    assert api.post("/api/v1/auth/token/", {"username": "ada"}, format="json").status_code == 400


def test_register_creates_user_and_token(api):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "grace", "email": "grace@example.com", "password": "a-Long-enough-passphrase"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "grace" and body["email"] == "grace@example.com"
    assert Token.objects.get(user__username="grace").key == body["token"]
    login = api.post(
        "/api/v1/auth/token/", {"username": "grace", "password": "a-Long-enough-passphrase"}, format="json"
    )
    assert login.json()["token"] == body["token"]


@pytest.mark.parametrize(
    "password,fragment",
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("8675309123456", "entirely numeric"),
        ("grace-hopper-1906", "too similar"),
    ],
)
def test_register_applies_django_password_validators(api, password, fragment):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "grace-hopper-1906", "email": "g@example.com", "password": password},
        format="json",
    )
    assert response.status_code == 400
    assert fragment in " ".join(response.json()["password"])


def test_register_rejects_duplicates_and_bad_input(api):
    UserFactory(username="taken")
    dup = api.post(
        "/api/v1/auth/register/",
        {"username": "TAKEN", "email": "t@example.com", "password": "a-Long-enough-passphrase"},
        format="json",
    )
    assert dup.status_code == 400 and "username" in dup.json()
    bad_email = api.post(
        "/api/v1/auth/register/",
        {"username": "new", "email": "not-an-email", "password": "a-Long-enough-passphrase"},
        format="json",
    )
    assert bad_email.status_code == 400 and "email" in bad_email.json()
    bad_name = api.post(
        "/api/v1/auth/register/",
        {"username": "has space", "email": "n@example.com", "password": "a-Long-enough-passphrase"},
        format="json",
    )
    assert bad_name.status_code == 400


def test_show_and_regenerate_token(api):
    user = UserFactory()
    old = Token.objects.create(user=user).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/auth/token/regenerate/").json() == {"token": old}
    new = api.post("/api/v1/auth/token/regenerate/").json()["token"]
    assert new != old
    assert api.get("/api/v1/me/progress/").status_code == 401  # the old key is dead
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/v1/auth/token/regenerate/").json() == {"token": new}


def test_token_endpoints_need_auth(api):
    assert api.get("/api/v1/auth/token/regenerate/").status_code == 401
    assert api.post("/api/v1/auth/token/regenerate/").status_code == 401


def test_auth_endpoints_are_throttled(api, settings):
    # The tightest limit in play: the per-address attempt counter (accounts/tests/test_throttles.py
    # covers it in depth, and DRF's "auth" scope behind it).
    limit = settings.LOGIN_THROTTLE_ATTEMPTS
    codes = [
        api.post("/api/v1/auth/token/", {"username": f"x{i}", "password": "y"}, format="json").status_code
        for i in range(limit + 1)
    ]
    assert 429 not in codes[:limit] and codes[-1] == 429
