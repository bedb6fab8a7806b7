"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike.

Races between two writers of the same row (two cron runs, a double-clicked RSVP) are settled
by a unique constraint without savepoints, which the SQLite driver handles poorly.
"""

from sqlalchemy.dialects import postgresql, sqlite

from convene.extensions import db


def insert_unless_exists(model, values: dict, index_elements: list[str]) -> bool:
    """Insert one row unless the unique key exists; True if this call inserted it."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = (
        insert(model.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=index_elements)
        .returning(model.__table__.c.id)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for a skipped insert.
    return db.session.execute(statement).scalar() is not None
