from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create or update the demo student `demo` and the staff superuser `admin` (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the server will listen")

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()  # noqa: N806
        accounts = [
            ("demo", settings.DEMO_PASSWORD, {"email": "demo@example.com", "is_staff": False, "is_superuser": False}),
            ("admin", settings.ADMIN_PASSWORD, {"email": "admin@example.com", "is_staff": True, "is_superuser": True}),
        ]
        for username, password, fields in accounts:
            user, created = User.objects.get_or_create(username=username, defaults=fields)
            for name, value in fields.items():
                setattr(user, name, value)
            user.is_active = True
            # Passwords follow settings (DEMO_PASSWORD / ADMIN_PASSWORD), so re-running applies a change.
            if not user.check_password(password):
                user.set_password(password)
            user.save()
            self.stdout.write(f"{'Created' if created else 'Updated'} {username}")
        base = options["base_url"].rstrip("/")
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at {base}/accounts/login/ as demo / {settings.DEMO_PASSWORD} (student)\n"
                f"Admin at {base}/admin/ as admin / {settings.ADMIN_PASSWORD} (staff)"
            )
        )
