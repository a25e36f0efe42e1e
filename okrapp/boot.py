"""Entry-point guard: load the settings, or stop with one clear line (no traceback)."""

from __future__ import annotations

import importlib
import os
import sys

from okrapp.env import ConfigError


def settings_or_exit() -> None:
    """Import the settings module; on a malformed environment value print one line and exit 2."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrapp.settings")
    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ConfigError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        raise SystemExit(2) from None
