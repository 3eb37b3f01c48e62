"""Brute-force brake for the password forms (site and admin log-in pages).

The REST token endpoint has DRF's "auth" throttle; Django's LoginView has none. This counts
POSTs to the log-in pages per client address and per username in the shared cache and
answers 429 once either passes LOGIN_THROTTLE_ATTEMPTS within LOGIN_THROTTLE_WINDOW seconds.
Per-username counting stops a botnet spreading guesses for one account over many addresses.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def _bump(key: str, window: int) -> int:
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return 1


class LoginThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in LOGIN_PATHS:
            limit = settings.LOGIN_THROTTLE_ATTEMPTS
            window = settings.LOGIN_THROTTLE_WINDOW
            address = request.META.get("REMOTE_ADDR", "")
            username = request.POST.get("username", "").strip().lower()
            counts = [_bump(f"login-throttle:ip:{address}", window)]
            if username:
                digest = hashlib.sha256(username.encode()).hexdigest()[:32]
                counts.append(_bump(f"login-throttle:user:{digest}", window))
            if max(counts) > limit:
                response = HttpResponse("Too many log-in attempts. Try again in a few minutes.\n",
                                        status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(window)
                return response
        return self.get_response(request)
