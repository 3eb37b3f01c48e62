"""Brute-force brake for everything that takes a password or creates an account.

Two rules, each counted per client address AND per username in the shared cache:

- "login": the site and admin log-in pages and the REST token endpoint
  (`/api/v1/auth/token/`) share one counter, so guesses cannot be split between the page
  and the API. LOGIN_THROTTLE_ATTEMPTS attempts per LOGIN_THROTTLE_WINDOW seconds.
- "register": the sign-up page and `/api/v1/auth/register/`. REGISTER_THROTTLE_ATTEMPTS
  per REGISTER_THROTTLE_WINDOW seconds.

Every attempt counts, successful or not, and once either counter is over the limit the
answer is 429 with Retry-After (the seconds until that counter's window ends), even for the
right password. Per-username counting stops a botnet spreading guesses for one account over
many addresses; per-address counting stops one client trying many accounts.

The client address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT says how many reverse proxies
of ours sit in front of the app (see `client_address`); a client-sent X-Forwarded-For is
never trusted by default. DRF's own throttles use the same rule (NUM_PROXIES is set from
TRUSTED_PROXY_COUNT in settings).
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.throttling import BaseThrottle

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
REGISTER_PATHS = ("/accounts/signup/",)

# rule -> (attempts setting, window setting)
_RULES = {
    "login": ("LOGIN_THROTTLE_ATTEMPTS", "LOGIN_THROTTLE_WINDOW"),
    "register": ("REGISTER_THROTTLE_ATTEMPTS", "REGISTER_THROTTLE_WINDOW"),
}


def client_address(request) -> str:
    """The address of the client as far as we can trust it.

    With TRUSTED_PROXY_COUNT = 0 (the default: the app is reached directly) that is
    REMOTE_ADDR, whatever X-Forwarded-For says. Behind N proxies of ours, each appending the
    address it saw to X-Forwarded-For, the client is the N-th entry from the right (entries
    further left were sent by the client and are not trusted). Same rule as DRF's NUM_PROXIES.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [a.strip() for a in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or remote_addr


def _normalize_username(value) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip().lower()


def _bump(key: str, window: int) -> tuple[int, int]:
    """Count one attempt in a window that starts at the key's first attempt.
    Returns (attempts so far, seconds until the window ends)."""
    now = time.time()
    cache.add(f"{key}:start", now, window)
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window)
            count = 1
    start = cache.get(f"{key}:start")
    start = now if start is None else float(start)
    return count, max(1, math.ceil(start + window - now))


def attempt(rule: str, *, address: str, username) -> int:
    """Count one attempt under `rule`; returns 0 if it may go ahead, else the seconds to wait."""
    attempts_setting, window_setting = _RULES[rule]
    limit = getattr(settings, attempts_setting)
    window = getattr(settings, window_setting)
    counts = [_bump(f"{rule}-throttle:ip:{address}", window)]
    name = _normalize_username(username)
    if name:
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        counts.append(_bump(f"{rule}-throttle:user:{digest}", window))
    over = [retry_after for count, retry_after in counts if count > limit]
    return max(over) if over else 0


class LoginThrottleMiddleware:
    """The password pages (Django's LoginView and the sign-up view have no throttle)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in LOGIN_PATHS + REGISTER_PATHS:
            rule = "login" if request.path in LOGIN_PATHS else "register"
            wait = attempt(rule, address=client_address(request), username=request.POST.get("username", ""))
            if wait:
                what = "log-in" if rule == "login" else "sign-up"
                response = HttpResponse(
                    f"Too many {what} attempts. Try again in {wait} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)


class _PasswordThrottle(BaseThrottle):
    """DRF throttle for the REST auth endpoints: the same counters as the pages.
    DRF turns a refusal into 429 with Retry-After and "Expected available in N seconds"."""

    rule = ""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        data = request.data
        username = data.get("username", "") if hasattr(data, "get") else ""
        self._wait = attempt(self.rule, address=client_address(request), username=username)
        return not self._wait

    def wait(self):
        return getattr(self, "_wait", None) or None


class LoginAttemptThrottle(_PasswordThrottle):
    rule = "login"


class RegisterAttemptThrottle(_PasswordThrottle):
    rule = "register"
