"""Submissions and the durable result cache.

Per-test results live as JSON on the submission: they are written once when judging
finishes, always read together with it, and never queried test by test. The API
filters what a student may see (hidden tests: pass/fail and time only).
"""

from django.conf import settings
from django.db import models

from .executors.base import Verdict


class Mode(models.TextChoices):
    RUN = "run", "Run (samples or custom input)"
    SUBMIT = "submit", "Submit (all tests)"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class Language(models.TextChoices):
    PYTHON = "python", "Python 3"
    JAVASCRIPT = "javascript", "JavaScript (Node.js)"
    CPP = "cpp", "C++17"
    JAVA = "java", "Java 17"


class Submission(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="submissions")
    language = models.CharField(max_length=16, choices=Language.choices)
    code = models.TextField()
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.SUBMIT)
    # Custom input of a run; None = run the sample tests.
    stdin = models.TextField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    verdict = models.CharField(max_length=32, choices=Verdict.CHOICES, blank=True)
    # [{"index", "sample", "passed", "verdict", "time_ms", "memory_kb", "input", "expected",
    #   "actual", "stdout", "stderr", "message"}] in test order.
    tests = models.JSONField(default=list, blank=True)
    compile_output = models.TextField(blank=True)
    runtime_ms = models.PositiveIntegerField(null=True, blank=True)
    memory_kb = models.PositiveIntegerField(null=True, blank=True)
    executor = models.CharField(max_length=32, blank=True, help_text="Backend that produced the result")
    content_key = models.CharField(max_length=64, blank=True, db_index=True)
    cache_hit = models.BooleanField(default=False)
    # What the student reads when verdict is system_error (never internal detail).
    error_message = models.TextField(blank=True)
    # Admin-only detail of a system error.
    internal_error = models.TextField(blank=True)

    is_rejudge = models.BooleanField(default=False, help_text="Judged again by an admin; bypasses the cache")
    progress_recorded = models.BooleanField(default=False, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started judging it")
    sweeps = models.PositiveSmallIntegerField(default=0, help_text="Times the sweep re-queued it")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # None while the broker has not accepted the task (it was down): the sweep enqueues it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "problem", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.user} {self.problem_id} {self.language} {self.mode} {self.status} {self.verdict}"

    @property
    def feature(self) -> str:
        """Ledger feature of this submission's executions."""
        if self.is_rejudge:
            return "rejudge"
        return "run" if self.mode == Mode.RUN else "submission"


def default_result_expiry():
    """When a cached verdict made now stops being served (SUBMISSION_RESULT_CACHE_DURABLE_TTL)."""
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(seconds=settings.SUBMISSION_RESULT_CACHE_DURABLE_TTL)


class CachedResultQuerySet(models.QuerySet):
    def live(self):
        """Rows that may still be served: not expired."""
        from django.utils import timezone

        return self.filter(expires_at__gt=timezone.now())

    def expired(self):
        from django.utils import timezone

        return self.filter(expires_at__lte=timezone.now())


class CachedResult(models.Model):
    """The durable copy of the result cache: a Redis flush loses no paid result.

    Rows expire (`expires_at`, fixed when the result is stored, never extended by hits):
    whatever a row says is served for at most SUBMISSION_RESULT_CACHE_DURABLE_TTL."""

    key = models.CharField(max_length=64, unique=True)
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="cached_results")
    language = models.CharField(max_length=16)
    payload = models.JSONField(help_text="verdict, tests, compile_output, runtime_ms, memory_kb, executor")
    executions = models.PositiveIntegerField(default=0, help_text="What producing it cost")
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_hit_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        default=default_result_expiry, db_index=True, help_text="Not served after this; purged by purge_result_cache"
    )

    objects = CachedResultQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.key[:12]} {self.payload.get('verdict', '')}"
