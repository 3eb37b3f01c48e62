from django import template

from costs.selectors import unacknowledged_alerts

register = template.Library()


@register.simple_tag
def costs_unacknowledged_alerts(limit: int = 10):
    """Unacknowledged budget alerts for the admin banner (one query)."""
    return unacknowledged_alerts(limit=limit)
