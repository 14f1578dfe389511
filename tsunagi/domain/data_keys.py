"""The data keys and the database: start-up check, the hash pepper, rotation.

Takes a `Session` or an `Engine`; imports no Flask. See `tsunagi.domain.sealed` for the
format and docs/operations.md for what an operator does.
"""
from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, Table, Text, and_, delete, func, inspect, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from tsunagi.domain import sealed
from tsunagi.domain.models import Base, DataKey, DataSecret, insert_or_ignore


def sealed_columns() -> Iterator[tuple[Table, list]]:
    """Every table with sealed columns, and those columns."""
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sealed.Sealed)]
        if columns:
            yield table, columns


def check(engine: Engine, ring: sealed.KeyRing) -> None:
    """Refuse keys that cannot open this database; record the primary key as in use.

    Does nothing on a database that was never migrated (`flask db upgrade` must still run).

    :raise sealed.DataKeyError: a key the database's values are sealed with is not in the
        ring (a wrong key, or an old key removed before `flask keys rotate` finished).
    """
    if not inspect(engine).has_table("data_key"):
        return
    with Session(engine) as session:
        used = set(session.scalars(select(DataKey.kid)))
        missing = sorted(used - set(ring.ids))
        if missing:
            raise sealed.DataKeyError(
                f"The database holds personal data sealed with data key {', '.join(missing)}, which "
                f"TSUNAGI_DATA_KEYS does not contain (it has {', '.join(ring.ids)}). Set the key the data "
                "was written with; to change keys, list the new key first and the old one after it, "
                "run `flask keys rotate`, and only then remove the old key.")
        if ring.primary not in used:
            insert_or_ignore(session, DataKey, kid=ring.primary)
            session.commit()
        # The pepper opens with these keys (it is sealed like every value).
        pepper(session)
        session.commit()


def pepper(session: Session) -> bytes:
    """The key of the keyed hashes, made once per database and then kept (sealed)."""
    ring = sealed.ring()
    if ring._pepper is None:
        value = session.scalar(select(DataSecret.value).where(DataSecret.name == sealed.PEPPER))
        if value is None:
            insert_or_ignore(session, DataSecret, name=sealed.PEPPER,
                             value=base64.b64encode(secrets.token_bytes(32)).decode())
            value = session.scalar(select(DataSecret.value).where(DataSecret.name == sealed.PEPPER))
        ring._pepper = base64.b64decode(value)
    return ring._pepper


@dataclass
class Progress:
    table: str
    done: int
    left: int


def _not_primary(columns: list, primary: str):
    return or_(*(and_(c.is_not(None), type_coerce(c, Text).not_like(f"{primary}:%")) for c in columns))


def left_to_rotate(session: Session) -> dict[str, int]:
    """Rows per table that hold a value not sealed with the primary key."""
    primary = sealed.ring().primary
    return {table.name: session.scalar(select(func.count()).select_from(table).where(_not_primary(columns, primary)))
            for table, columns in sealed_columns()}


def rotate(session: Session, batch: int = 500, report: Callable[[Progress], None] | None = None) -> int:
    """Re-seal every value with the primary key, `batch` rows per commit; returns the rows done.

    Resumable: a row already sealed with the primary key is not touched again, so a run
    that was stopped continues where it was. When nothing is left, the other keys are
    forgotten by the database (and may be removed from TSUNAGI_DATA_KEYS).
    """
    primary = sealed.ring().primary
    insert_or_ignore(session, DataKey, kid=primary)
    session.commit()
    total = 0
    for table, columns in sealed_columns():
        keys = list(table.primary_key.columns)
        left = session.scalar(select(func.count()).select_from(table).where(_not_primary(columns, primary)))
        done = 0
        while True:
            rows = session.execute(
                select(*keys, *columns).where(_not_primary(columns, primary)).limit(batch)).all()
            if not rows:
                break
            for row in rows:
                values = row._mapping
                session.execute(update(table).where(*(k == values[k] for k in keys))
                                .values({c.name: values[c] for c in columns}))
            session.commit()
            done += len(rows)
            if report:
                report(Progress(table.name, done, max(left - done, 0)))
        total += done
    session.execute(delete(DataKey).where(DataKey.kid != primary))
    session.commit()
    return total
