import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from okrapp.demo_data import load_demo
from okrapp.demo_logins import DEMO_PASSWORD, ROLE_LOGINS


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent). Refuses to run with DEBUG off: demo logins use a known password."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("load_demo runs only with DEBUG on: its logins share the password 'demo'.")
        result = load_demo()
        # Each app may add its part of the demo in a `demo_data` module with `load_demo(organisation, today=)`,
        # and settle it once every app's part is in (`settle_demo(organisation, today=)`: computed numbers,
        # snapshots); looked up by name so the core does not import the apps built on it.
        modules = []
        for config in apps.get_app_configs():
            if config.name == "okrapp":
                continue
            try:
                modules.append(importlib.import_module(f"{config.name}.demo_data"))
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo_data":
                    raise
        today = timezone.localdate()
        for module in modules:
            self.stdout.write(module.load_demo(result.organisation, today=today))
        for module in modules:
            if hasattr(module, "settle_demo"):
                self.stdout.write(module.settle_demo(result.organisation, today=today))
        self.stdout.write(
            f"Demo organisation {result.organisation.name}: "
            f"{result.created_teams} teams and {result.created_people} people added "
            f"({result.organisation.teams.count()} teams, {result.organisation.memberships.count()} people in all)."
        )
        logins = ", ".join(f"{role}@example.com" for role in ROLE_LOGINS)
        self.stdout.write(f"Logins: {logins} (and the other demo people), password '{DEMO_PASSWORD}'.")
