from datetime import date

from django.core.management.base import BaseCommand, CommandError

from costs.services import reprice_calls


class Command(BaseCommand):
    help = "Recompute stored ledger costs from a date on with the current price rules, reporting what changed."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="YYYY-MM-DD (UTC), inclusive")
        parser.add_argument("--dry-run", action="store_true", help="Report the changes without writing them")

    def handle(self, *args, since, dry_run, **options):
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise CommandError("--since must be a date like 2026-11-01")
        r = reprice_calls(since=day, dry_run=dry_run)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"examined {r['examined']} ledger rows since {day}; {verb} {r['changed']}")
        self.stdout.write(
            f"cost:     ${r['old_total']:.8f} -> ${r['new_total']:.8f} ({r['new_total'] - r['old_total']:+.8f})"
        )
        self.stdout.write(
            f"baseline: ${r['old_baseline']:.8f} -> ${r['new_baseline']:.8f} "
            f"({r['new_baseline'] - r['old_baseline']:+.8f})"
        )
        for provider, delta in sorted(r["by_provider"].items()):
            self.stdout.write(f"  {provider}: {delta:+.8f}")
