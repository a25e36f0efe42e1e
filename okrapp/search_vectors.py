"""The one definition of a searchable text: the expression the GIN indexes are built on and the search
queries filter on. They must be the same expression, or PostgreSQL cannot use the index.

The ``simple`` configuration (no stemming, no stop words) keeps prefix matching predictable in every
language a company writes in: "onboard" finds "onboarding".
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db.models import Expression

SEARCH_CONFIG = "simple"


def weighted_vector(title: str, *texts: str) -> Expression:
    """The title weighs A, the other texts B (a match in the title ranks first)."""
    vector: Expression = SearchVector(title, config=SEARCH_CONFIG, weight="A")
    if texts:
        vector = vector + SearchVector(*texts, config=SEARCH_CONFIG, weight="B")
    return vector
