"""The network's one search: how a query becomes conditions, for every kind of thing it finds.

The calls archive searches call notes and, for signed-in members, visit reports, with the
same rule: every word must appear (case-insensitively) in one of the thing's columns.
"""

from collections.abc import Iterable

import sqlalchemy as sa

# Words beyond these are ignored: a pasted paragraph is not eight hundred LIKEs.
MAX_TERMS = 8


def search_terms(search: str | None) -> list[str]:
    """The words of a query, lower-cased, at most MAX_TERMS."""
    return (search or "").lower().split()[:MAX_TERMS]


def _pattern(term: str) -> str:
    """A word as a LIKE pattern that matches it literally ("50%" is not a wildcard)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(columns: Iterable, terms: list[str]) -> list[sa.ColumnElement[bool]]:
    """One condition per word: the word is in one of `columns`."""
    columns = list(columns)
    return [
        sa.or_(
            *(
                sa.func.lower(sa.func.coalesce(c, "")).like(_pattern(term), escape="\\")
                for c in columns
            )
        )
        for term in terms
    ]
