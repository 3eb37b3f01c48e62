"""Load run: gunicorn (DEBUG off) + a real Celery worker + local PostgreSQL/Redis, driven by
locust headless, bounded in users and time. Prints the figures docs/performance.md records.

    .venv/bin/python bench/load/run.py --users 20 --duration 60

Uses its own database (cm_load, dropped and re-created) and Redis DB 14 (flushed), the local
bubblewrap sandbox executor and the offline mentor. Everything listens on 127.0.0.1.
Output: var/load/<stamp>/ (locust CSVs, gunicorn/worker logs, queue samples, summary.md).
"""

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
PY = sys.executable
QUEUES = ("run", "submit", "rejudge", "default")


def sh(args, env, **kw):
    return subprocess.run(args, cwd=BASE, env=env, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--spawn-rate", type=float, default=5)
    ap.add_argument("--duration", type=int, default=60, help="seconds of load")
    ap.add_argument("--web-workers", type=int, default=3)
    ap.add_argument("--web-threads", type=int, default=4)
    ap.add_argument("--worker-concurrency", type=int, default=4)
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--unique-share", type=float, default=0.5)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--db", default="cm_load")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    ap.add_argument(
        "--scenario",
        default="Student",
        choices=["Student", "CatalogReader"],
        help="Student: the mixed student day; CatalogReader: catalog throughput, no think time",
    )
    args = ap.parse_args()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = BASE / "var" / "load" / stamp
    out.mkdir(parents=True, exist_ok=True)
    db_url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "codementor.settings",
        "DEBUG": "false",
        "SECRET_KEY": "load-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "EXECUTOR_BACKEND": "local",
        "JUDGE0_URL": "",
        "GEMINI_API_KEY": "",
        # The load is 20 students hammering on purpose; per-user abuse limits are tested elsewhere.
        "THROTTLE_SUBMIT": "100000/min",
        "THROTTLE_RUN": "100000/min",
        "THROTTLE_AUTH": "100000/min",
        "MENTOR_DAILY_MESSAGE_QUOTA": "100000",
        "MENTOR_MESSAGES_PER_MINUTE": "100000",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }

    import psycopg
    import redis

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    rds = redis.Redis.from_url(args.redis)
    rds.flushdb()
    print("migrating and loading the pack ...", flush=True)
    sh([PY, "manage.py", "migrate", "-v", "0"], env)
    sh([PY, "manage.py", "load_problems"], env, stdout=subprocess.DEVNULL)
    fixture = out / "fixture.json"
    sh(
        [
            PY,
            "manage.py",
            "shell",
            "-c",
            f"""
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from problems.models import Problem
User = get_user_model()
tokens = []
for i in range({args.students}):
    u, _ = User.objects.get_or_create(username=f"load{{i}}", defaults={{"email": f"load{{i}}@example.com"}})
    tokens.append(Token.objects.get_or_create(user=u)[0].key)
sol = {{p.slug: p.reference_solution for p in Problem.objects.filter(kind="function", is_published=True,
       difficulty="easy").exclude(reference_solution="").order_by("slug")}}
json.dump({{"tokens": tokens, "solutions": sol}}, open({str(fixture)!r}, "w"))
""",
        ],
        env,
    )

    procs = []
    web_log = open(out / "gunicorn.log", "wb")  # noqa: SIM115
    worker_log = open(out / "worker.log", "wb")  # noqa: SIM115
    procs.append(
        subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "codementor.wsgi",
                "-b",
                f"127.0.0.1:{args.port}",
                "-w",
                str(args.web_workers),
                "--threads",
                str(args.web_threads),
                "--worker-class",
                "gthread",
                "--access-logfile",
                "-",
            ],
            cwd=BASE,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    procs.append(
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "codementor",
                "worker",
                "-P",
                "threads",
                "-c",
                str(args.worker_concurrency),
                "-Q",
                ",".join(QUEUES),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=BASE,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    host = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{host}/healthz", timeout=2).status == 200:
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        time.sleep(3)  # worker start-up
        samples, stop = [], threading.Event()

        def sample():
            t0 = time.monotonic()
            while not stop.is_set():
                samples.append((round(time.monotonic() - t0, 1), sum(rds.llen(q) for q in QUEUES)))
                stop.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lenv = {**env, "LOAD_FIXTURE": str(fixture), "LOAD_UNIQUE_SHARE": str(args.unique_share)}
        print(f"locust: {args.users} users for {args.duration}s against {host} ...", flush=True)
        load_started = datetime.now(UTC)
        subprocess.run(
            [
                PY,
                "-m",
                "locust",
                "-f",
                str(BASE / "bench/load/locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--host",
                host,
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--stop-timeout",
                "65",
                args.scenario,
            ],
            cwd=BASE,
            env=lenv,
            check=False,
            stdout=open(out / "locust.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        load_ended = datetime.now(UTC)
        time.sleep(2)
        stop.set()
        sampler.join()
        db_figures = json.loads(
            subprocess.run(
                [
                    PY,
                    "manage.py",
                    "shell",
                    "-c",
                    f"""
import json
from datetime import datetime
from django.db.models import Count
from submissions.models import Submission
from costs.models import ApiCall
start, end = datetime.fromisoformat({load_started.isoformat()!r}), datetime.fromisoformat({load_ended.isoformat()!r})
subs = Submission.objects.filter(created_at__gte=start)
fin = subs.filter(status="finished")
lat = {{"cached": [], "uncached": []}}
for s in fin.only("created_at", "finished_at", "cache_hit"):
    lat["cached" if s.cache_hit else "uncached"].append((s.finished_at - s.created_at).total_seconds())
layers = list(ApiCall.objects.filter(created_at__gte=start).values("provider", "cache_layer").annotate(n=Count("id")))
print(json.dumps({{"created": subs.count(), "finished": fin.count(),
   "verdicts": dict(fin.values_list("verdict").annotate(n=Count("id"))),
   "not_finished": list(subs.exclude(status="finished").values_list("id", "status")),
   "latency": lat, "layers": layers}}))
""",
                ],
                cwd=BASE,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)

    report(out, args, samples, db_figures, load_started, load_ended)


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def report(out, args, samples, db, started, ended):
    rows = list(csv.DictReader(open(out / "locust_stats.csv")))  # noqa: SIM115
    fails = list(csv.DictReader(open(out / "locust_failures.csv")))  # noqa: SIM115
    five = sum(
        int(f["Occurrences"])
        for f in fails
        if "50" in f["Error"][:40] and "HTTPError" in f["Error"] or f["Error"].startswith(("500", "502", "503", "504"))
    )
    web_log = (out / "gunicorn.log").read_text(errors="replace").splitlines()
    five_access = sum(1 for line in web_log if '" 50' in line)
    lines = [
        f"Load run {started:%Y-%m-%d %H:%M} UTC, {args.users} users, {args.duration}s, "
        f"gunicorn {args.web_workers}x{args.web_threads} gthread, Celery threads x{args.worker_concurrency}, "
        f"unique share {args.unique_share}, scenario {args.scenario}",
        "",
        "| endpoint | requests | fails | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['Type']} {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
            f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} |"
        )
    minutes = (ended - started).total_seconds() / 60
    lat = db["latency"]
    queue = [d for _, d in samples]
    lines += [
        "",
        f"- submissions created {db['created']}, finished {db['finished']} "
        f"({db['finished'] / minutes:.0f} judged/min), not finished: {db['not_finished']}",
        f"- verdicts: {db['verdicts']}",
        f"- submit->finished (server side) cached n={len(lat['cached'])} p50 {pct(lat['cached'], 50):.3f}s "
        f"p95 {pct(lat['cached'], 95):.3f}s; uncached n={len(lat['uncached'])} "
        f"p50 {pct(lat['uncached'], 50):.3f}s p95 {pct(lat['uncached'], 95):.3f}s",
        f"- queue depth (sum of Celery queues, 1 s samples): max {max(queue, default=0)}, "
        f"mean {statistics.fmean(queue) if queue else 0:.1f}; series {queue}",
        f"- ledger rows by provider/layer: {db['layers']}",
        f"- 5xx: {five_access} in the gunicorn access log, {five} in locust failures; "
        f"locust failures: {[(f['Name'], f['Error'][:80], f['Occurrences']) for f in fails]}",
    ]
    text = "\n".join(lines)
    (out / "summary.md").write_text(text + "\n")
    print(text)
    print(f"\n(files in {out})")


if __name__ == "__main__":
    main()
