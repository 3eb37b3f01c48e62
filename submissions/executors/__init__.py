"""Executors run untrusted programs against tests. One interface, several backends:
`local` (bubblewrap sandbox on this machine) and `judge0` (Judge0 CE over HTTP).
The web app never knows how a sandbox works; it calls `get_executor().run(...)`."""

from __future__ import annotations

from django.conf import settings

from .base import Executor, ExecutorError


def get_executor(name: str | None = None) -> Executor:
    """The configured backend (settings.EXECUTOR_BACKEND) or the one named."""
    name = name or settings.EXECUTOR_BACKEND
    if name == "local":
        from .local import LocalExecutor

        return LocalExecutor()
    if name == "judge0":
        # Imported lazily: the local backend must work without the Judge0 client's settings.
        from .judge0 import Judge0Executor

        return Judge0Executor()
    raise ExecutorError(f"unknown EXECUTOR_BACKEND {name!r}: use 'local' or 'judge0'")
