"""The cost ledger: one row per external call (or per cache hit that avoided one)."""

from decimal import Decimal

from django.conf import settings
from django.db import models


class Provider(models.TextChoices):
    GEMINI = "gemini", "Gemini"
    JUDGE0 = "judge0", "Judge0"
    LOCAL_SANDBOX = "local_sandbox", "Local sandbox"


class Unit(models.TextChoices):
    INPUT_TOKEN = "input_token", "Input token"
    OUTPUT_TOKEN = "output_token", "Output token (thinking included)"
    CACHED_TOKEN = "cached_token", "Cached input token (read)"
    CACHE_STORAGE_TOKEN_HOUR = "cache_storage_token_hour", "Cache storage token-hour"
    EXECUTION = "execution", "Code execution"
    REQUEST = "request", "HTTP request"


class CacheLayer(models.TextChoices):
    NONE = "none", "None (paid call)"
    RESULT = "result", "Submission result cache"
    SINGLE_FLIGHT = "single_flight", "Single-flight (shared execution)"
    PATTERN = "pattern", "Mentor pattern responder"
    RESPONSE = "response", "Mentor response cache"
    CONTEXT = "context", "Gemini context cache"


class CallStatus(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"
    REFUSED = "refused", "Refused by budget"


class Feature(models.TextChoices):
    SUBMISSION = "submission", "Submission"
    RUN = "run", "Run"
    MENTOR = "mentor", "Mentor"
    REJUDGE = "rejudge", "Rejudge"
    ADMIN = "admin", "Admin"
    BENCH = "bench", "Benchmark"


class PriceRule(models.Model):
    """A list price for one provider/model/unit, in force from `effective_from` on.

    `model` "*" applies to every model of the provider that has no rule of its own.
    """

    provider = models.CharField(max_length=32, choices=Provider.choices)
    model = models.CharField(max_length=100, default="*")
    unit = models.CharField(max_length=32, choices=Unit.choices)
    price_usd = models.DecimalField(max_digits=16, decimal_places=8, help_text="USD per `unit_size` units")
    unit_size = models.PositiveIntegerField(default=1, help_text="e.g. 1000000 for per-1M-token prices")
    effective_from = models.DateField()
    source = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from, and its date")

    class Meta:
        ordering = ["provider", "model", "unit", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model", "unit", "effective_from"], name="unique_price_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} {self.unit}: ${self.price_usd}/{self.unit_size} ({self.effective_from})"

    @property
    def price_per_unit(self) -> Decimal:
        return self.price_usd / Decimal(self.unit_size)


class ApiCall(models.Model):
    """One external call, or one cache hit that made a call unnecessary (cost 0).

    Token buckets do not overlap: `input_tokens` is uncached prompt input only (Gemini's
    promptTokenCount minus cachedContentTokenCount), `cached_tokens` are cache reads,
    `cache_write_tokens` were written into an explicit cache, `thinking_tokens` are
    billed at the output price but kept apart from `output_tokens`.
    """

    created_at = models.DateTimeField(db_index=True)
    provider = models.CharField(max_length=32, choices=Provider.choices)
    operation = models.CharField(max_length=50)
    model = models.CharField(max_length=100, blank=True, help_text="Gemini model, or language for executions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_calls"
    )
    feature = models.CharField(max_length=32, choices=Feature.choices)
    problem_slug = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. submission:42, message:7")

    input_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    thinking_tokens = models.PositiveIntegerField(default=0)
    storage_token_hours = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    executions = models.PositiveIntegerField(default=0)
    http_requests = models.PositiveIntegerField(default=0)
    usage = models.JSONField(default=dict, blank=True, help_text="Raw usage as the provider reported it")

    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal("0"))
    # What this call would have cost on the unoptimized path (no caches, per-test runs,
    # strong model): the dashboards' counterfactual savings are sums of the difference.
    baseline_cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal("0"))
    baseline_executions = models.PositiveIntegerField(default=0)

    # Kept so `manage.py reprice` can recompute the baseline after a price correction.
    baseline_model = models.CharField(max_length=100, blank=True)
    baseline_usage = models.JSONField(default=dict, blank=True)

    latency_ms = models.PositiveIntegerField(default=0)
    cache_layer = models.CharField(max_length=32, choices=CacheLayer.choices, default=CacheLayer.NONE)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.OK)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["provider", "created_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["cache_layer", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.provider}.{self.operation} ${self.cost_usd}"


def default_thresholds() -> list[int]:
    return [50, 85, 95, 100]


class BudgetScope(models.TextChoices):
    GLOBAL = "global", "Global (whole platform)"
    USER = "user", "Per user"
    PROVIDER = "provider", "Per provider"


class BudgetPeriod(models.TextChoices):
    DAY = "day", "Day (UTC)"
    MONTH = "month", "Calendar month (UTC)"


class Budget(models.Model):
    """A spending cap over a UTC day or calendar month.

    Scope "user" with no user set is the default budget of every user (each user
    separately); with a user set it replaces that default for this one user. Global and
    provider budgets apply on top: a call must fit every budget that applies to it.
    """

    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=16, choices=BudgetScope.choices, default=BudgetScope.GLOBAL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budgets",
        help_text="Only for scope 'per user': leave empty for the default budget of every user",
    )
    provider = models.CharField(
        max_length=32, choices=Provider.choices, blank=True, help_text="Only for scope 'per provider'"
    )
    period = models.CharField(max_length=8, choices=BudgetPeriod.choices, default=BudgetPeriod.MONTH)
    amount_usd = models.DecimalField(max_digits=12, decimal_places=2)
    thresholds = models.JSONField(
        default=default_thresholds, blank=True, help_text="Alert at these percentages of the amount (reached means >=)"
    )
    hard_stop = models.BooleanField(default=False, help_text="Refuse paid calls once spend reaches the amount")
    active = models.BooleanField(default=True)
    notify_emails = models.CharField(max_length=500, blank=True, help_text="Comma-separated, besides ADMINS")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scope", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_usd__gte=0), name="budget_amount_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(scope="provider") | ~models.Q(provider=""), name="provider_budget_has_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (${self.amount_usd}/{self.period})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.scope == BudgetScope.PROVIDER and not self.provider:
            raise ValidationError({"provider": "A per-provider budget needs a provider."})
        if self.scope != BudgetScope.USER and self.user_id:
            raise ValidationError({"user": "Only per-user budgets name a user."})
        if not isinstance(self.thresholds, list) or not all(
            isinstance(t, int) and 0 < t <= 1000 for t in self.thresholds
        ):
            raise ValidationError({"thresholds": "A list of whole percentages, e.g. [50, 85, 95, 100]."})

    @property
    def emails(self) -> list[str]:
        return [e.strip() for e in self.notify_emails.split(",") if e.strip()]


class Alert(models.Model):
    """A budget threshold reached in one period: at most one per (budget, threshold, period, user)."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveIntegerField(help_text="Percent of the budget amount")
    period_start = models.DateField()
    # The user whose spend crossed a default per-user budget; empty otherwise.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    spend_usd = models.DecimalField(max_digits=14, decimal_places=8)
    amount_usd = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged = models.BooleanField(default=False)
    email_sent = models.BooleanField(default=False)
    webhook_sent = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two partial indexes because NULL users would never collide in one index.
            models.UniqueConstraint(
                fields=["budget", "threshold", "period_start"],
                condition=models.Q(user__isnull=True),
                name="one_alert_per_threshold_period",
            ),
            models.UniqueConstraint(
                fields=["budget", "threshold", "period_start", "user"],
                condition=models.Q(user__isnull=False),
                name="one_alert_per_threshold_period_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget.name}: {self.threshold}% reached ({self.period_start})"

    @property
    def message(self) -> str:
        who = f" for {self.user}" if self.user_id else ""
        return (
            f"Budget '{self.budget.name}'{who} reached {self.threshold}%: "
            f"${self.spend_usd:.4f} of ${self.amount_usd:.2f} this {self.budget.period} "
            f"(since {self.period_start})."
        )


class DailySpend(models.Model):
    """Paid spend per UTC day and budget scope ("global", "provider:<p>", "user:<id>").

    A rollup kept by record_call so a budget check reads at most 31 rows by index
    instead of summing a month of the ledger before every paid call.
    """

    day = models.DateField()
    scope = models.CharField(max_length=64)
    cost_usd = models.DecimalField(max_digits=16, decimal_places=8, default=Decimal("0"))
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "day"], name="one_daily_spend_per_scope_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}: ${self.cost_usd}"
