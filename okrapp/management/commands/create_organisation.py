from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from okrapp.organisations import DEFAULT_TIME_ZONE, organisation_create
from okrapp.services import set_password_link

OPTION_OF = {"name": "--name", "admin_email": "--admin-email", "admin_name": "--admin-name", "slug": "--slug"}
OPTION_OF |= {"time_zone": "--time-zone"}


class Command(BaseCommand):
    help = (
        "Create an organisation and its first admin (no password yet) and print a link where the admin "
        "chooses one. Nothing is created when any value is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The organisation's name, e.g. “Acme”.")
        parser.add_argument("--admin-email", required=True, help="The first admin's e-mail address (their login).")
        parser.add_argument("--admin-name", required=True, help="The first admin's full name.")
        parser.add_argument("--slug", default=None, help="A short unique name; derived from the name if left out.")
        parser.add_argument(
            "--time-zone", default=DEFAULT_TIME_ZONE, help=f"IANA time zone name (default {DEFAULT_TIME_ZONE})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            admin = organisation_create(
                name=options["name"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                slug=options["slug"],
                time_zone=options["time_zone"],
            )
        except ValidationError as error:
            lines = [
                f"{OPTION_OF.get(field, field)}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            ]
            raise CommandError("Nothing was created.\n" + "\n".join(lines)) from None
        organisation, user = admin.organisation, admin.user
        days = round(settings.PASSWORD_RESET_TIMEOUT / 86400, 1)
        self.stdout.write(
            f"Created organisation {organisation.name} (slug {organisation.slug}, time zone {organisation.time_zone}) "
            f"with its admin {user.full_name} <{user.email}>."
        )
        self.stdout.write(f"Set-password link (valid for {days:g} days, once):")
        self.stdout.write(set_password_link(user=user, site_url=settings.SITE_URL))
