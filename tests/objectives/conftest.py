"""Fixtures of goals live in tests/conftest.py (browser tests use them too)."""

from tests.conftest import TODAY

__all__ = ["TODAY"]
