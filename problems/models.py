"""Problem catalog and per-user progress."""

from django.conf import settings
from django.db import models


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class ProblemKind(models.TextChoices):
    FUNCTION = "function", "Function (harness calls the student's function)"
    STDIO = "stdio", "Standard input/output"


class Comparison(models.TextChoices):
    EXACT = "exact", "Exact"
    UNORDERED = "unordered", "Unordered collection (top level)"
    UNORDERED_DEEP = "unordered_deep", "Unordered at every level"
    FLOAT = "float", "Float tolerance (1e-6)"


class Topic(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Problem(models.Model):
    slug = models.SlugField(unique=True, max_length=100)
    title = models.CharField(max_length=200)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, db_index=True)
    topics = models.ManyToManyField(Topic, related_name="problems", blank=True)
    statement = models.TextField(help_text="Markdown; rendered to sanitized HTML")
    statement_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=10, choices=ProblemKind.choices, default=ProblemKind.FUNCTION)
    # Function problems: {"function": "two_sum", "params": [{"name": "nums", "type": "list[int]"}],
    # "returns": "list[int]"} using the type system in problems/signatures.py.
    signature = models.JSONField(default=dict, blank=True)
    time_limit_ms = models.PositiveIntegerField(default=2000, help_text="Per test")
    memory_limit_mb = models.PositiveIntegerField(default=256)
    is_published = models.BooleanField(default=True, db_index=True)
    # Never shown to students; proves every expected output in the tests.
    reference_solution = models.TextField(blank=True)
    # Hash of the tests; changes whenever they change, so cached results go stale.
    test_set_version = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class TestCase(models.Model):
    __test__ = False  # not a pytest class

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="test_cases")
    order = models.PositiveIntegerField(default=0)
    # Function problems: JSON object of arguments by parameter name. Stdio: raw text.
    input = models.TextField()
    # Function problems: JSON value. Stdio: expected text (compared after trimming
    # trailing whitespace on each line).
    expected_output = models.TextField()
    is_sample = models.BooleanField(default=False)
    comparison = models.CharField(max_length=20, choices=Comparison.choices, default=Comparison.EXACT)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["problem", "order", "id"]

    def __str__(self) -> str:
        return f"{self.problem.slug} #{self.order}{' (sample)' if self.is_sample else ''}"


class ProblemProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="problem_progress")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="progress")
    attempts = models.PositiveIntegerField(default=0)
    first_solved_at = models.DateTimeField(null=True, blank=True)
    best_runtime_ms = models.PositiveIntegerField(null=True, blank=True)
    last_verdict = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "problem"], name="unique_progress_per_problem")]

    def __str__(self) -> str:
        return f"{self.user} / {self.problem}"

    @property
    def solved(self) -> bool:
        return self.first_solved_at is not None


class DailyActivity(models.Model):
    """Per-user, per-UTC-day counters: the heatmap series and the streak come from here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_activity")
    day = models.DateField()
    submissions = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="unique_activity_per_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}: {self.accepted}/{self.submissions}"
