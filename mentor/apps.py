from django.apps import AppConfig


class MentorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentor"
