"""pyinstrument profile + SQL query count of the hottest endpoints, in-process.

    .venv/bin/python bench/load/profile_endpoints.py [--db cm_load] [--requests 200]

Runs against the database the load runner left (cm_load: the pack + load users), with
production settings (DEBUG off), the Redis cache DB 14. Prints per path: mean ms, queries
per request, and pyinstrument's text tree of the whole batch.
"""

import argparse
import os
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="cm_load")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--tree", action="store_true", help="print the pyinstrument tree")
    args = ap.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "codementor.settings",
            "DEBUG": "false",
            "SECRET_KEY": "profile-" + "x" * 50,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "LOG_LEVEL": "ERROR",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from problems.models import Problem

    slug = Problem.objects.filter(is_published=True).order_by("slug").values_list("slug", flat=True).first()
    client = Client()
    for path in ("/api/v1/problems/", f"/api/v1/problems/{slug}/", "/problems/", f"/problems/{slug}/"):
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                assert client.get(path).status_code == 200
        mean = (time.perf_counter() - started) / args.requests * 1000
        print(f"{path}: {mean:.2f} ms/request, {len(queries)} queries")
        if args.tree:
            print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])


if __name__ == "__main__":
    main()
