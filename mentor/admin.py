from django.contrib import admin

from .models import ContextCache, Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["role", "text", "layer", "model", "route_reason", "cost_usd", "latency_ms", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "problem", "created_at"]
    search_fields = ["user__username", "problem__slug"]
    raw_id_fields = ["user", "problem"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "role", "layer", "model", "cost_usd", "latency_ms", "created_at"]
    list_filter = ["role", "layer", "model"]
    raw_id_fields = ["conversation"]

    def has_add_permission(self, request):  # messages come from mentor.services.ask only
        return False


@admin.register(ContextCache)
class ContextCacheAdmin(admin.ModelAdmin):
    """Written by mentor.context_cache (Redis holds the hot copy); read-only in practice."""

    list_display = ["key", "name", "tokens", "expire_time", "updated_at"]

    def has_add_permission(self, request):  # names come from Gemini's caches.create
        return False
