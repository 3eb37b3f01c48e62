"""A real `celery -A codementor worker` subprocess for integration tests.

It runs against the pytest test database (pytest-django's `test_<name>`, so tests must
use `transactional_db` or `live_server`: the worker only sees committed rows) and the
same Redis as the test process (cache + broker), with CELERY_TASK_ALWAYS_EAGER off.
Extra environment (e.g. EXECUTOR_BACKEND, JUDGE0_URL, short retry backoffs) is passed
per start; `restart(env=...)` switches it. `kill()` sends SIGKILL (a crash, not a
shutdown). The root conftest exposes it as the `celery_worker_process` fixture.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUEUES = "run,submit,rejudge,default"
BASE_DIR = Path(__file__).resolve().parent.parent


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


class CeleryWorker:
    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        broker_url: str,
        env: dict | None = None,
        concurrency: int = 4,
        queues: str = QUEUES,
    ):
        self.base_env = {
            "DJANGO_SETTINGS_MODULE": "codementor.settings_test",
            "TEST_DATABASE_URL": database_url,
            "TEST_REDIS_URL": redis_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # A killed worker's task comes back after this many seconds (tests kill workers).
            "CELERY_VISIBILITY_TIMEOUT": "6",
            "CELERY_UNACKED_RESTORE_INTERVAL": "2",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.env = dict(env or {})
        self.concurrency = concurrency
        self.queues = queues
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
        self._log = None

    def start(self, *, timeout: float = 60.0) -> CeleryWorker:
        env = {**os.environ, **self.base_env, **self.env}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "codementor",
                "worker",
                "-P",
                "threads",
                "-c",
                str(self.concurrency),
                "-Q",
                self.queues,
                "-n",
                f"test-{os.getpid()}-{time.time_ns()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}:\n{self.log_tail()}")
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                if b" ready." in fh.read():
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, *, timeout: float = 15.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task without acknowledging it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, *, env: dict | None = None) -> CeleryWorker:
        self.stop()
        if env is not None:
            self.env = dict(env)
        return self.start()

    @property
    def alive(self) -> bool:
        return bool(self.process and self.process.poll() is None)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def purge_queues(redis_url: str, queues: str = QUEUES) -> None:
    """Drop messages a previous run left (they would name rows of another test database)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    names = queues.split(",")
    client.delete(*names, "unacked", "unacked_index", "unacked_mutex")
    client.close()
