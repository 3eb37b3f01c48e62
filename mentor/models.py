"""Mentor conversations, their messages, and the shared explicit context caches."""

from decimal import Decimal

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_conversations")
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="mentor_conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Running summary of turns no longer sent verbatim (history pruning); built without an API call.
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"conversation {self.pk} of {self.user_id}"


class Role(models.TextChoices):
    USER = "user", "Student"
    MENTOR = "mentor", "Mentor"


class Layer(models.TextChoices):
    """Which layer produced a mentor reply, cheapest first."""

    PATTERN = "pattern", "Pattern responder"
    RESPONSE_CACHE = "response_cache", "Response cache"
    MODEL = "model", "Gemini model"
    OFFLINE = "offline", "Offline mentor"
    FALLBACK = "fallback", "Offline fallback after a Gemini failure"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=8, choices=Role.choices)
    text = models.TextField()
    code = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    model = models.CharField(max_length=100, blank=True)
    layer = models.CharField(max_length=16, choices=Layer.choices, blank=True)
    route_reason = models.CharField(max_length=200, blank=True)
    tools_used = models.JSONField(default=list, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    thinking_tokens = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveSmallIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=8, default=Decimal("0"))
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk}"


class ContextCache(models.Model):
    """The durable copy of an explicit Gemini cache name (Redis holds the hot copy), so
    every web/worker process reuses one cache per model × prompt version × tool version."""

    key = models.CharField(max_length=200, unique=True)
    model = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    tokens = models.PositiveIntegerField(default=0)
    expire_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} -> {self.name}"
