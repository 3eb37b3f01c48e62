from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from costs import selectors
from costs.periods import Period


class Command(BaseCommand):
    help = "Print a cost summary of the last N days: spend by provider/model, cache hit rates, top users."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        now = timezone.now()
        period = Period("custom", now - timedelta(days=days), now)
        qs = selectors.ledger(period=period)
        h = selectors.headline(qs)
        out = self.stdout.write
        out(f"Cost report, last {days} day(s): {period.start:%Y-%m-%d %H:%M} - {period.end:%Y-%m-%d %H:%M} UTC")
        out(
            f"spend ${h['spend']:.4f}   calls {h['calls']} (paid {h['paid_calls']})   "
            f"active users {h['active_users']}   executions {h['executions']} (avoided {h['executions_avoided']})"
        )
        out(f"counterfactual without optimizations ${h['baseline']:.4f}, saved ${h['savings']:.4f}")
        out("")
        out(f"{'provider':<15}{'model/language':<28}{'calls':>9}{'spend $':>14}")
        for r in selectors.spend_by_model(qs):
            out(f"{r['provider']:<15}{(r['model'] or '-'):<28}{r['calls']:>9}{r['spend']:>14.4f}")
        out("")
        out(f"{'cache layer':<15}{'hit rate':>10}")
        for layer, rate in h["hit_rates"].items():
            out(f"{layer:<15}{('-' if rate is None else f'{rate:.1%}'):>10}")
        out("")
        out(f"{'top users':<28}{'calls':>9}{'spend $':>14}")
        for r in selectors.top_users(qs):
            out(f"{r['user__username']:<28}{r['calls']:>9}{r['spend']:>14.4f}")
