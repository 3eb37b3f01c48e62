"""Password guessing and account farming through the REST auth endpoints and the pages.

Counters per client address AND per username (codementor/login_throttle.py); the client
address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT trusts proxies in front of the app, so a
client-sent X-Forwarded-For never buys fresh attempts.
"""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from codementor.login_throttle import client_address

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def limits(settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    settings.REGISTER_THROTTLE_ATTEMPTS = 4
    return settings


def guess(api, username="ada", password="wrong", **extra):  # noqa: S107
    return api.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def register(api, username, **extra):
    return api.post(
        REGISTER,
        {"username": username, "email": f"{username}@example.com", "password": "a-Long-enough-passphrase"},
        format="json",
        **extra,
    )


def assert_says_how_long(response, window):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= window
    assert f"{wait} second" in response.json()["detail"]


# --- client address ------------------------------------------------------------------


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, None, "10.9.9.9"),
        (0, "1.2.3.4", "10.9.9.9"),  # default: trust no proxy, ignore the header
        (1, None, "10.9.9.9"),  # behind a proxy that did not add the header
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client's own entry on the left is not trusted
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (3, "1.2.3.4", "1.2.3.4"),  # fewer entries than proxies: the left-most
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "10.9.9.9"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **meta)) == expected


def test_drf_throttles_use_the_same_proxy_rule(settings):
    from rest_framework.settings import api_settings

    assert settings.TRUSTED_PROXY_COUNT == 0
    assert api_settings.NUM_PROXIES == 0  # DRF's default (None) keys on the client-sent header


# --- token endpoint ------------------------------------------------------------------


def test_token_guesses_rotating_x_forwarded_for_are_throttled_per_address(api, limits):
    UserFactory(username="ada")
    codes = [guess(api, username=f"user{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(8)]
    assert codes[:5] == [403] * 5 and codes[5:] == [429] * 3
    # The right password does not get through from that address while it is throttled.
    blocked = guess(api, password="pw-123456", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert_says_how_long(blocked, limits.LOGIN_THROTTLE_WINDOW)
    assert "token" not in blocked.json()
    # Another address is not affected.
    assert guess(api, password="pw-123456", REMOTE_ADDR="10.1.1.1").status_code == 200


def test_drf_auth_scope_keys_on_remote_addr_not_x_forwarded_for(api, settings):
    """The original hole: DRF's "auth" rate with NUM_PROXIES unset keyed on X-Forwarded-For."""
    settings.LOGIN_THROTTLE_ATTEMPTS = 1000  # only DRF's scope in play here
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    codes = [
        guess(api, username=f"user{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(limit + 1)
    ]
    assert 429 not in codes[:limit] and codes[-1] == 429


def test_token_guesses_for_one_username_are_throttled_across_addresses(api, limits):
    UserFactory(username="ada")
    codes = [guess(api, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(7)]
    assert codes[:5] == [403] * 5 and codes[5:] == [429] * 2
    # Case and spaces do not make a new username; the right password is refused too.
    blocked = guess(api, username=" ADA ", password="pw-123456", REMOTE_ADDR="10.0.1.1")
    assert_says_how_long(blocked, limits.LOGIN_THROTTLE_WINDOW)
    # Other accounts log in from fresh addresses as usual.
    UserFactory(username="grace")
    assert guess(api, username="grace", password="pw-123456", REMOTE_ADDR="10.0.2.1").status_code == 200


def test_token_endpoint_and_login_page_share_the_counters(api, limits):
    UserFactory(username="ada")
    for i in range(3):
        assert (
            Client(REMOTE_ADDR=f"10.0.0.{i}").post("/accounts/login/", {"username": "ada", "password": "x"}).status_code
            == 200
        )
    codes = [guess(api, REMOTE_ADDR=f"10.0.1.{i}").status_code for i in range(3)]
    assert codes == [403, 403, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_counter(api, limits):
    limits.TRUSTED_PROXY_COUNT = 1
    # Every request arrives from the proxy's address; the proxy appends the real client.
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    codes = [
        guess(api, username=f"u{i}", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.7", **proxy).status_code
        for i in range(6)
    ]
    assert codes[:5] == [403] * 5 and codes[5] == 429  # the spoofed left-hand entries do not help
    assert guess(api, username="other", HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 403


# --- registration --------------------------------------------------------------------


def test_register_rotating_x_forwarded_for_is_throttled_per_address(api, limits):
    codes = [register(api, f"farm{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(6)]
    assert codes[:4] == [201] * 4 and codes[4:] == [429] * 2
    assert_says_how_long(register(api, "farm-late"), limits.REGISTER_THROTTLE_WINDOW)
    assert register(api, "elsewhere", REMOTE_ADDR="10.1.1.1").status_code == 201


def test_register_one_username_is_throttled_across_addresses(api, limits):
    UserFactory(username="taken")
    codes = [register(api, "taken", REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(6)]
    assert codes[:4] == [400] * 4 and codes[4:] == [429] * 2
    assert register(api, "fresh", REMOTE_ADDR="10.0.1.1").status_code == 201


def test_signup_page_shares_the_register_counters(limits):
    for i in range(4):
        Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").post("/accounts/signup/", {"username": f"p{i}"})
    blocked = Client(HTTP_X_FORWARDED_FOR="203.0.113.99").post("/accounts/signup/", {"username": "p-late"})
    assert blocked.status_code == 429
    wait = int(blocked["Retry-After"])
    assert 0 < wait <= limits.REGISTER_THROTTLE_WINDOW and f"{wait} seconds" in blocked.content.decode()
    assert register(APIClient(), "api-late").status_code == 429  # same address, same counter


def test_login_page_429_says_how_long(limits):
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.1")
    for i in range(5):
        attacker.post("/accounts/login/", {"username": f"g{i}", "password": "x"})
    blocked = Client(HTTP_X_FORWARDED_FOR="203.0.113.2").post("/accounts/login/", {"username": "g9", "password": "x"})
    assert blocked.status_code == 429
    wait = int(blocked["Retry-After"])
    assert 0 < wait <= limits.LOGIN_THROTTLE_WINDOW and f"{wait} seconds" in blocked.content.decode()


def test_window_ends_and_attempts_are_allowed_again(api, limits):
    import time

    limits.LOGIN_THROTTLE_WINDOW = 2
    UserFactory(username="ada")
    codes = [guess(api).status_code for _ in range(6)]
    assert codes[-1] == 429
    start = time.monotonic()
    while guess(api, password="pw-123456").status_code == 429:  # bounded: the window is 2 s
        assert time.monotonic() - start < 10
        time.sleep(0.25)
