"""Delete expired durable result-cache rows (the beat task does the same every hour)."""

from django.core.management.base import BaseCommand

from submissions import result_cache


class Command(BaseCommand):
    help = "Delete CachedResult rows past their expires_at (and rows no supervisor produced)."

    def handle(self, *args, **options):
        deleted = result_cache.purge_expired()
        self.stdout.write(f"deleted {deleted} cached result(s)")
