import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from okrapp import backup


class Command(BaseCommand):
    help = (
        "Back up the configured database (DATABASE_URL) into FILE with pg_dump --format=custom, using the "
        "pg_dump of the server's PostgreSQL version. Restore it with manage.py restore FILE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the backup (refused if it exists, unless --overwrite).")
        parser.add_argument("--overwrite", action="store_true", help="Replace FILE if it exists.")
        parser.add_argument("--pg-bin", help="The folder of pg_dump, if it is not found on its own.")

    def handle(self, *args: Any, file: str, overwrite: bool = False, pg_bin: str | None = None, **options: Any) -> None:
        target = Path(file)
        if target.exists() and not overwrite:
            raise CommandError(f"{target} exists: choose another name, or pass --overwrite to replace it.")
        if not target.parent.is_dir():
            raise CommandError(f"There is no folder {target.parent} to write the backup into.")
        with connection.cursor() as cursor:
            major = backup.server_major(cursor)
            holds = backup.headline(cursor)
        try:
            tool = backup.find_tool("pg_dump", major, backup.candidate_dirs(pg_bin))
            started = time.monotonic()
            backup.dump(tool, target, env=backup.libpq_environment(connection.settings_dict))
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up database {connection.settings_dict['NAME']} (PostgreSQL {major}: {holds}) to {target} "
                f"({backup.human_size(target.stat().st_size)}, {time.monotonic() - started:.1f} s, {tool.path})."
            )
        )
        self.stdout.write(f"Restore it into an empty database with: manage.py restore {target}")
