"""Knowing, with one cheap query, whether anything a given feed shows has changed.

Each feed depends on a few scopes (feed_tables.py): the public feed on `public`, a
partner's on `partner:<id>`, a summit's on `summit:<id>`, a member's on `calls`, `summits`
and `member:<id>`, and every feed on `all`. The ORM flush tells which rows and columns a
transaction wrote; feed_tables.py maps them to scopes, and just before the commit each of
those scopes gets a new stamp in `feed_stamps` (so its row lock is held only for the
commit, and the stamp is visible exactly when the data is). A cached feed is current while
the stamps of its own scopes are unchanged, so a sign-in, a vote or another member's RSVP
rebuilds nothing.

Writes that bypass the ORM session (raw SQL text) must call `mark_feeds_changed()`.
"""

import os
import threading
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from convene.calendar import feed_tables
from convene.calendar.feed_tables import ALL, Row, Shown, Unknown
from convene.calendar.models import FeedStamp
from convene.types import utcnow

STAMPS = FeedStamp.__table__
_PENDING = "convene.feed_scopes"
_OLD = "convene.feed_old_values"
_installed = False

INSERT, UPDATE, DELETE = "insert", "update", "delete"


def mark_feeds_changed(session: Session, *scopes: str) -> None:
    """Bump these scopes (default: every feed) when this transaction commits."""
    _pending(session).update(scopes or (ALL,))


def pending_scopes(session: Session) -> frozenset[str]:
    """The scopes this transaction will bump on commit, from what it flushed so far."""
    return frozenset(session.info.get(_PENDING, ()))


def _pending(session: Session) -> set[str]:
    return session.info.setdefault(_PENDING, set())


# --- what a flush changed -------------------------------------------------------------------


def scopes_for(
    rule: Shown, op: str, old: Row | None, new: Row | None, changed: Iterable[str]
) -> set[str]:
    """The scopes one row's write bumps: those it was shown in before and after it."""
    changed = set(changed)
    if (op == UPDATE and not rule.shows_any(changed)) or (op == INSERT and not rule.inserts_show):
        return set()
    try:
        before = set(rule.scopes(old)) if old is not None else set()
        after = set(rule.scopes(new)) if new is not None else set()
    except Unknown:
        return set(rule.broad)
    if op == UPDATE and rule.membership and changed & (rule.columns or set()) <= rule.membership:
        scopes = before ^ after  # only the feeds it enters or leaves
    else:
        scopes = before | after
    for column, extra in rule.also.items():
        if column in changed:
            scopes.update(extra)
    return scopes


def _column_props(mapper, table):
    for column in table.columns:
        try:
            yield column, mapper.get_property_by_column(column)
        except sa.orm.exc.UnmappedColumnError:  # pragma: no cover - a column no class maps
            continue


def _replaced_unseen(state, mapper, table) -> list:
    """Columns being changed whose old value was never loaded (set on an expired object,
    or a many-to-one set while its foreign key was unloaded)."""
    unseen = set()
    for column, prop in _column_props(mapper, table):
        history = state.attrs[prop.key].history
        if history.added and not history.deleted and not history.unchanged:
            unseen.add(column)
    for relationship in mapper.relationships:
        if relationship.direction is not sa.orm.MANYTOONE:
            continue
        if not state.attrs[relationship.key].history.has_changes():
            continue
        for column in relationship.local_columns:
            key = mapper.get_property_by_column(column).key
            if column.table is table and key not in state.dict:
                unseen.add(column)
    return sorted(unseen, key=lambda c: c.name)


def _before_flush(session: Session, _flush_context, _instances) -> None:
    """Read the old values that were never loaded while the database still has them, so
    that a write's scopes before it are known (else it would bump every feed)."""
    remembered = session.info.setdefault(_OLD, {})
    for obj in session.dirty:
        state = sa.inspect(obj)
        if state.key is None:
            continue
        mapper = state.mapper
        for table in mapper.tables:
            if feed_tables.rule_for(table.name) is None:
                continue
            unseen = _replaced_unseen(state, mapper, table)
            if not unseen:
                continue
            where = [c == v for c, v in zip(mapper.primary_key, state.identity, strict=True)]
            row = session.connection().execute(sa.select(*unseen).where(*where)).first()
            if row is not None:
                values = remembered.setdefault(state, {})
                values.update({c.name: v for c, v in zip(unseen, row, strict=True)})


def _object_scopes(session: Session, obj, op: str) -> set[str]:
    state = sa.inspect(obj)
    mapper = state.mapper
    remembered = session.info.get(_OLD, {}).get(state, {})
    scopes: set[str] = set()
    for table in mapper.tables:
        rule = feed_tables.rule_for(table.name)
        if rule is None:
            continue
        old, new, changed = {}, {}, set()
        for column, prop in _column_props(mapper, table):
            history = state.attrs[prop.key].history
            current = state.dict.get(prop.key, Unknown)
            if history.deleted:
                before = history.deleted[0]
            elif history.unchanged:
                before = history.unchanged[0]
            elif history.added:  # set without loading the value it replaced
                before = remembered.get(column.name, Unknown)
            else:
                before = current
            if op in (INSERT, DELETE) or history.added or history.deleted:
                changed.add(column.name)
            old[column.name], new[column.name] = before, current
        connection = session.connection
        scopes |= scopes_for(
            rule,
            op,
            None if op == INSERT else Row(old, rule, connection),
            None if op == DELETE else Row(new, rule, connection),
            changed,
        )
    return scopes


def _after_flush(session: Session, _flush_context) -> None:
    """Attribute histories still hold this flush's changes here, with keys assigned."""
    pending = _pending(session)
    try:
        for op, objects in (
            (INSERT, session.new),
            (UPDATE, session.dirty),
            (DELETE, session.deleted),
        ):
            for obj in objects:
                if ALL in pending:
                    return
                pending |= _object_scopes(session, obj, op)
    finally:
        session.info.pop(_OLD, None)


def _statement_rows(state) -> list[dict] | None:
    """The rows an INSERT statement writes, when its values are plain parameters."""
    if isinstance(state.parameters, dict) and state.parameters:
        return [state.parameters]
    if isinstance(state.parameters, list | tuple) and state.parameters:
        return [dict(p) for p in state.parameters]
    if getattr(state.statement, "_multi_values", None):
        return None
    values = getattr(state.statement, "_values", None)
    if not values:
        return None
    row = {}
    for key, value in values.items():
        name = getattr(key, "key", key)
        if not isinstance(value, sa.BindParameter):
            return None
        row[name] = value.effective_value
    return [row]


def _set_columns(statement) -> set[str] | None:
    values = getattr(statement, "_values", None) or dict(
        getattr(statement, "_ordered_values", None) or ()
    )
    if not values:
        return None
    return {getattr(key, "key", key) for key in values}


def _on_execute(state) -> None:
    """Bulk INSERT, UPDATE and DELETE statements run through the session."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None:
        return
    rule = feed_tables.rule_for(name)
    if rule is None:
        return
    session = state.session
    if state.is_insert:
        rows = _statement_rows(state)
        if rows is None:
            _pending(session).update(rule.broad)
            return
        for values in rows:
            row = Row(dict(values), rule, session.connection)
            _pending(session).update(scopes_for(rule, INSERT, None, row, values.keys()))
        return
    changed = _set_columns(state.statement) if state.is_update else None
    if changed is not None and not rule.shows_any(changed):
        return
    _pending(session).update(rule.broad)


# --- writing the stamps ---------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the stamps are written once, by the transaction's own commit
    session.flush()
    scopes = session.info.pop(_PENDING, None)
    if not scopes:
        return
    if ALL in scopes:
        scopes = {ALL}
    stamp, now = uuid.uuid4().hex, utcnow()
    # One statement, rows in a fixed order: concurrent commits lock them alike, no deadlock.
    rows = [{"scope": s, "stamp": stamp, "changed_at": now} for s in sorted(scopes)]
    insert = _insert(session).values(rows)
    upsert = insert.on_conflict_do_update(
        index_elements=["scope"],
        set_={"stamp": insert.excluded.stamp, "changed_at": insert.excluded.changed_at},
    )
    session.execute(upsert)
    session.info.pop(_PENDING, None)


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(STAMPS)


def _after_transaction_end(session: Session, transaction) -> None:
    # A rolled back transaction bumps nothing; a savepoint's rollback keeps what the
    # transaction flushed before it (an extra bump is harmless, a missing one is not).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def watch_changes() -> None:
    """Install the session hooks (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    _installed = True


# --- reading the stamps ---------------------------------------------------------------------


def read_state(session: Session, scopes: Iterable[str], lookup=None) -> dict:
    """{scope: (stamp, changed_at)} for each scope, (None, None) for one never bumped.

    `lookup` is a SELECT of one more scope name (or of none), for a scope known only from
    the database (the member behind a feed token, say): one query reads them all.
    """
    names = [sa.select(sa.cast(sa.literal(s), sa.String).label("scope")) for s in scopes]
    if lookup is not None:
        names.append(lookup)
    wanted = sa.union_all(*names).subquery("wanted")
    query = sa.select(wanted.c.scope, STAMPS.c.stamp, STAMPS.c.changed_at).select_from(
        wanted.outerjoin(STAMPS, STAMPS.c.scope == wanted.c.scope)
    )
    return {row.scope: (row.stamp, row.changed_at) for row in session.execute(query)}


# --- reading the stamps for every poll ------------------------------------------------------

_stamp_engines: dict[str, sa.Engine] = {}
_stamp_engines_lock = threading.Lock()
os.register_at_fork(after_in_child=_stamp_engines.clear)


def stamp_engine(url: str) -> sa.Engine | None:
    """A small autocommit pool, one per database and process, for the stamp read alone:
    no ping, no BEGIN and no ROLLBACK around it, so a poll costs one round trip.

    None for an in-memory SQLite database, which only the app's own engine can see.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return None
    with _stamp_engines_lock:
        engine = _stamp_engines.get(url)
        if engine is None:
            engine = sa.create_engine(
                parsed,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_reset_on_return=None,
                pool_size=2,
                max_overflow=8,
                pool_recycle=1800,
            )
            _stamp_engines[url] = engine
        return engine


_STAMP_SQL: dict[tuple[str, int], str] = {}


def _stamp_sql(paramstyle: str, count: int) -> str:
    sql = _STAMP_SQL.get((paramstyle, count))
    if sql is None:
        marker = "?" if paramstyle == "qmark" else "%s"
        markers = ", ".join([marker] * count)
        sql = _STAMP_SQL[(paramstyle, count)] = (
            f"SELECT scope, stamp FROM feed_stamps WHERE scope IN ({markers})"
        )
    return sql


def read_stamps(engine: sa.Engine, scopes: tuple[str, ...]) -> dict[str, str]:
    """{scope: stamp} over a pooled DB-API connection (a fifth of the cost of a Core
    execute); a scope never bumped is missing."""
    sql = _stamp_sql(engine.dialect.paramstyle, len(scopes))
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, scopes)
        rows = cursor.fetchall()
        cursor.close()
    except Exception:
        connection.invalidate()  # a broken connection must not go back to the pool
        raise
    finally:
        connection.close()
    return dict(rows)
