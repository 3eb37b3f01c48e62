from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "problems"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - registers the catalog cache invalidation
