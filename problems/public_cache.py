"""Cache of the public (anonymous) catalog API answers.

The anonymous problem list and problem detail are the same for every visitor and are the
hottest reads (docs/performance.md "Load"): most of their time is DRF serialization. They
are cached in Redis under a catalog version that any change to a problem, its tests or a
topic moves (signals below, plus an explicit bump where tests are bulk-created), so an
admin edit shows at once. Answers for logged-in users carry personal status badges and are
never cached; error answers are never cached.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction
from rest_framework.response import Response

VERSION_KEY = "catalog:version"
# A safety net only: every change bumps the version.
TIMEOUT_SECONDS = 10 * 60


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        current = cache.get(VERSION_KEY) or 1
    return current


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing cached under one either
        cache.add(VERSION_KEY, 1, timeout=None)


def bump() -> None:
    """Invalidate every cached public answer now and again once the change is committed:
    a reader between the two still saw the old rows and may have cached them."""
    _bump()
    transaction.on_commit(_bump)


def _key(request) -> str:
    # Host is part of the key: paginated answers carry absolute next/previous links.
    raw = f"{request.get_host()}|{request.get_full_path()}"
    return f"catalog:v{version()}:{hashlib.sha256(raw.encode()).hexdigest()}"


def serve(request, build) -> Response:
    """`build()` answers the request; anonymous 200 answers are kept and reused."""
    if request.user.is_authenticated:
        return build()
    key = _key(request)
    data = cache.get(key)
    if data is not None:
        return Response(data)
    response = build()
    if response.status_code == 200:
        cache.set(key, response.data, timeout=TIMEOUT_SECONDS)
    return response
