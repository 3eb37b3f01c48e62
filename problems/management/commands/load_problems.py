from django.core.management.base import BaseCommand, CommandError

from problems.packfile import PackError, read_pack_dir
from problems.services import load_problem_pack


class Command(BaseCommand):
    help = "Load the problem pack (problems/pack/*.yaml) into the database; idempotent, updates in place by slug."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Pack directory (default: problems/pack/)")

    def handle(self, *args, dir=None, **options):  # noqa: A002
        try:
            problems = read_pack_dir(dir)
        except PackError as exc:
            raise CommandError(str(exc))
        report = load_problem_pack(problems=problems)
        for slug in report.created:
            self.stdout.write(f"  created {slug}")
        for slug in report.updated:
            self.stdout.write(f"  updated {slug}")
        self.stdout.write(self.style.SUCCESS(f"Problems: {report.summary()}."))
