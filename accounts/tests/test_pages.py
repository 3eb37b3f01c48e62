import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signup_logs_in_and_redirects_home(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "linus",
            "email": "linus@example.com",
            "password1": "a-Long-enough-passphrase",
            "password2": "a-Long-enough-passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "Dashboard" in home.content.decode() and "linus" in home.content.decode()


def test_signup_shows_validation_errors(client):
    response = client.post(
        "/accounts/signup/", {"username": "linus", "email": "x@example.com", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200 and "too short" in response.content.decode()


def test_login_and_logout_post_only(client):
    UserFactory(username="ada")
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post("/accounts/login/", {"username": "ada", "password": "pw-123456"})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # logging out changes state: POST only
    client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302


def test_login_rejects_bad_password(client):
    UserFactory(username="ada")
    response = client.post("/accounts/login/", {"username": "ada", "password": "nope"})
    assert response.status_code == 200 and "correct username and password" in response.content.decode()


def test_profile_shows_token_curl_and_regenerates():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory()
    client.force_login(user)
    page = client.get("/accounts/profile/").content.decode()
    token = Token.objects.get(user=user).key
    assert token in page and f"Authorization: Token {token}" in page and "curl" in page
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post("/accounts/profile/", {}).status_code == 403  # CSRF protected
    assert client.post("/accounts/profile/", {"csrfmiddlewaretoken": csrf}).status_code == 302
    new = Token.objects.get(user=user).key
    assert new != token and new in client.get("/accounts/profile/").content.decode()


def test_profile_needs_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_users_see_only_their_own_token(client):
    me, other = UserFactory(), UserFactory()
    other_key = Token.objects.create(user=other).key
    client.force_login(me)
    assert other_key not in client.get("/accounts/profile/").content.decode()
