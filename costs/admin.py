from django.contrib import admin

from .models import ApiCall, PriceRule


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    list_display = ("provider", "model", "unit", "price_usd", "unit_size", "effective_from", "source")
    list_filter = ("provider", "unit")
    search_fields = ("model", "source")


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    """The ledger is append-only: staff read it, nobody edits it here."""

    list_display = (
        "created_at", "provider", "operation", "model", "user", "feature",
        "cache_layer", "executions", "input_tokens", "cached_tokens", "output_tokens",
        "cost_usd", "latency_ms", "status",
    )
    list_filter = ("provider", "feature", "cache_layer", "status", "created_at")
    search_fields = ("operation", "model", "reference", "problem_slug", "user__username")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
