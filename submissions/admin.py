from django.contrib import admin, messages
from django.db import transaction

from . import services
from .models import CachedResult, Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "problem",
        "language",
        "mode",
        "status",
        "verdict",
        "cache_hit",
        "executor",
        "runtime_ms",
        "created_at",
    )
    list_filter = ("status", "verdict", "mode", "language", "cache_hit", "executor", "is_rejudge")
    search_fields = ("user__username", "problem__slug", "content_key")
    date_hierarchy = "created_at"
    list_select_related = ("user", "problem")
    raw_id_fields = ("user", "problem")
    actions = ["rejudge_selected"]
    readonly_fields = [f.name for f in Submission._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Rejudge selected submissions (rejudge queue, bypasses the cache)")
    def rejudge_selected(self, request, queryset):
        with transaction.atomic():
            count = services.rejudge(submissions=queryset)
        self.message_user(request, f"{count} submission(s) queued for rejudging.", messages.SUCCESS)


@admin.register(CachedResult)
class CachedResultAdmin(admin.ModelAdmin):
    list_display = ("key", "problem", "language", "executions", "hits", "created_at", "last_hit_at")
    list_filter = ("language",)
    search_fields = ("key", "problem__slug")
    raw_id_fields = ("problem",)
    readonly_fields = ("key", "problem", "language", "payload", "executions", "hits", "created_at", "last_hit_at")
