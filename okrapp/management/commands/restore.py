from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from okrapp import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by manage.py backup (pg_dump --format=custom) into the configured database "
        "(DATABASE_URL), all or nothing. Refuses a database that already holds tables unless --force. Stop "
        "web, worker and beat first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore into a database that already holds tables, replacing those the backup holds.",
        )
        parser.add_argument("--pg-bin", help="The folder of pg_restore, if it is not found on its own.")

    def handle(self, *args: Any, file: str, force: bool = False, pg_bin: str | None = None, **options: Any) -> None:
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"There is no backup file {source}.")
        name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            major = backup.server_major(cursor)
            tables = backup.user_tables(cursor)
            before = backup.headline(cursor) if tables else ""
        if tables and not force:
            raise CommandError(
                f"Database {name} is not empty: it holds {tables} tables ({before}). Restore into a new, empty "
                f"database (createdb, then point DATABASE_URL at it), or pass --force to replace what the "
                "backup holds in this one."
            )
        try:
            tool = backup.find_tool("pg_restore", major, backup.candidate_dirs(pg_bin))
            connection.close()  # pg_restore --clean must not wait on a lock of ours
            backup.restore(tool, source, env=backup.libpq_environment(connection.settings_dict), replace=bool(tables))
        except backup.BackupError as error:
            raise CommandError(f"{error}\nNothing was restored: the restore runs in one transaction.") from None
        with connection.cursor() as cursor:
            after = backup.headline(cursor)
        how = f"replacing the backup's tables among the {tables} it held" if tables else "into an empty database"
        self.stdout.write(self.style.SUCCESS(f"Restored {source} into database {name}, {how}: {after}."))
        pending = MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes())
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup is older than this code: {len(pending)} migrations to apply. Run manage.py migrate."
                )
            )
        self.stdout.write("Then check the stored numbers with: manage.py reconcile --dry-run")
