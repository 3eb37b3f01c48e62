"""Shared fixtures. Tests run on the real PostgreSQL and Redis of this machine
(codementor/settings_test.py); app-specific fixtures live in each app's tests/."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Each test starts with none of our cache keys. delete_pattern touches only keys with
    # our KEY_PREFIX, so a Celery broker sharing the Redis DB keeps its queues.
    cache.delete_pattern("*")
    yield
