from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from objectives.services.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Find every stored KR and objective number, KR series field and health-metric light of the open "
        "cycles that disagrees with what objectives.progress computes, and fix it (--dry-run only reports)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report the differences; change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        findings = reconcile(dry_run=dry_run)
        for finding in findings:
            self.stdout.write(finding.describe())
        verb = "would change" if dry_run else "changed"
        if findings:
            self.stdout.write(self.style.WARNING(f"{len(findings)} stored values disagreed; {verb} them."))
        else:
            self.stdout.write(self.style.SUCCESS("Every stored value agrees with objectives.progress."))
