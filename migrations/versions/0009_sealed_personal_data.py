"""seal personal data at rest (AES-GCM under TSUNAGI_DATA_KEYS); keyed contact hashes

Revision ID: 0009
Revises: 0008

Existing rows are sealed in batches with the primary data key; the contact hashes become
keyed (HMAC) hashes. Needs TSUNAGI_DATA_KEYS (the app sets them for `flask db upgrade`).
"""
import hashlib
import json
import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from tsunagi.domain import data_keys, intakes, sealed

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# table -> {column: (type before, is a JSON document)}; the primary key of each table.
SEALED = {
    "intake": {"answers": (sa.JSON(), True), "name": (sa.Text(), False), "contact": (sa.JSON(), True),
               "free_text": (sa.Text(), False), "decision": (sa.JSON(), True)},
    "consent": {"contact_time": (sa.String(length=200), False)},
    "intake_event": {"reason": (sa.Text(), False)},
    "kiosk_draft": {"answers": (sa.JSON(), True), "receipt": (sa.JSON(), True)},
    "resident_message": {"body": (sa.Text(), False)},
}
KEYS = {"intake": "id", "consent": "id", "intake_event": "id", "kiosk_draft": "key_hash", "resident_message": "id"}
BATCH = 1000
LOOKS_SEALED = re.compile(r"^[0-9a-f]{8}:")


def _alter(to_text: bool) -> None:
    for table, columns in SEALED.items():
        with op.batch_alter_table(table) as batch_op:
            for column, (before, _doc) in columns.items():
                if to_text:
                    batch_op.alter_column(column, type_=sa.Text(), existing_type=before,
                                          postgresql_using=f"{column}::text")
                else:
                    using = f"{column}::json" if isinstance(before, sa.JSON) else None
                    batch_op.alter_column(column, type_=before, existing_type=sa.Text(), postgresql_using=using)


def _rewrite(change) -> None:
    """Rewrite every value of every sealed column through `change(value, purpose)`."""
    conn = op.get_bind()
    for name, columns in SEALED.items():
        key = sa.column(KEYS[name])
        cols = [sa.column(c, sa.Text()) for c in columns]
        table = sa.table(name, key, *cols)
        last = None
        while True:
            query = sa.select(key, *cols).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            rows = conn.execute(query).all()
            if not rows:
                break
            for row in rows:
                values = {c: change(row[i + 1], f"{name}.{c}") for i, c in enumerate(columns)
                          if row[i + 1] is not None}
                if values:
                    conn.execute(sa.update(table).where(key == row[0]).values(values))
            last = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        "data_key",
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "data_secret",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _alter(to_text=True)
    ring = sealed.ring()
    _rewrite(lambda value, purpose: value if LOOKS_SEALED.match(value) else ring.seal(value, purpose))
    session = Session(bind=op.get_bind())
    session.execute(sa.insert(sa.table("data_key", sa.column("kid"))).values(kid=ring.primary))
    data_keys.pepper(session)
    # Contact hashes become keyed: recomputed from the (now sealed) contact.
    intake = sa.table("intake", sa.column("id"), sa.column("contact", sealed.Sealed("intake.contact", document=True)),
                      sa.column("contact_key"))
    for row in session.execute(sa.select(intake.c.id, intake.c.contact).where(intake.c.contact.is_not(None))).all():
        session.execute(sa.update(intake).where(intake.c.id == row.id)
                        .values(contact_key=intakes.contact_key(session, row.contact)))
    session.flush()


def _plain_contact_key(contact):
    if not contact:
        return None
    digits = re.sub(r"\D", "", contact.get("phone") or "")
    value = f"tel:{digits}" if len(digits) >= 6 else (
        f"mail:{contact['email'].strip().lower()}" if contact.get("email") else None)
    return hashlib.sha256(value.encode()).hexdigest() if value else None


def downgrade() -> None:
    ring = sealed.ring()
    _rewrite(lambda value, purpose: ring.open(value, purpose) if LOOKS_SEALED.match(value) else value)
    conn = op.get_bind()
    intake = sa.table("intake", sa.column("id"), sa.column("contact", sa.Text()), sa.column("contact_key"))
    for row in conn.execute(sa.select(intake.c.id, intake.c.contact).where(intake.c.contact.is_not(None))).all():
        conn.execute(sa.update(intake).where(intake.c.id == row.id)
                     .values(contact_key=_plain_contact_key(json.loads(row.contact))))
    _alter(to_text=False)
    op.drop_table("data_secret")
    op.drop_table("data_key")
