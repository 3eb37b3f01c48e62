from django.contrib import admin

from . import services
from .models import Alert, ApiCall, Budget, PriceRule

# The admin index shows unacknowledged budget alerts and links to the cost pages.
admin.site.index_template = "admin/costs/index.html"


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    list_display = ("provider", "model", "unit", "price_usd", "unit_size", "effective_from", "source")
    list_filter = ("provider", "unit")
    search_fields = ("model", "source")


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    """The ledger is append-only: staff read it, nobody edits it here."""

    list_display = (
        "created_at",
        "provider",
        "operation",
        "model",
        "user",
        "feature",
        "cache_layer",
        "executions",
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "cost_usd",
        "latency_ms",
        "status",
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


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "user", "provider", "period", "amount_usd", "thresholds", "hard_stop", "active")
    list_filter = ("scope", "period", "hard_stop", "active")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "budget",
        "threshold",
        "period_start",
        "user",
        "spend_usd",
        "amount_usd",
        "acknowledged",
        "email_sent",
        "webhook_sent",
        "attempts",
        "last_error",
    )
    list_filter = ("acknowledged", "email_sent", "webhook_sent", "budget")
    list_select_related = ("budget", "user")
    actions = ["acknowledge"]
    readonly_fields = [f.name for f in Alert._meta.fields if f.name != "acknowledged"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Acknowledge (hide from the admin banner)")
    def acknowledge(self, request, queryset):
        count = services.acknowledge_alerts(alert_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} alert(s) acknowledged.")
