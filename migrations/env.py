"""Alembic environment: the URL comes from `tsunagi.db.alembic_config` (or -x url=...)."""
from alembic import context
from sqlalchemy import event, pool

from tsunagi.domain.models import Base
from tsunagi.web.db import make_engine

config = context.config
url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a column's type by copying the table (Alembic's batch mode), which
        # must not cascade through foreign keys: they are off while migrating (Alembic's
        # documented recipe) and checked afterwards.
        @event.listens_for(engine, "connect")
        def _foreign_keys_off(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")

    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
