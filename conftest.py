"""Shared fixtures. Tests run on the real PostgreSQL and Redis of this machine
(codementor/settings_test.py); app-specific fixtures live in each app's tests/."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Each test starts with an empty Redis cache DB (the test settings use their own DB).
    cache.clear()
    yield
