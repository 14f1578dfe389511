"""Migration 0013 counts the intakes stored before it the way the product counts new ones:
downgrading and upgrading again rebuilds exactly the tallies the submits and the lifecycle
kept."""
from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tsunagi.domain import accounts, intakes, lifecycle, municipality
from tsunagi.domain.consent import ConsentGiven
from tsunagi.domain.models import Location, Provider, ReportTally, ReportTallyMonth
from tsunagi.web.db import alembic_config, make_engine, upgrade


def tallies(engine) -> dict:
    with Session(engine) as session:
        days = {(t.day, t.dimension, t.value): t.n for t in session.scalars(select(ReportTally)) if t.n}
        months = {(t.month, t.dimension, t.value): t.n for t in session.scalars(select(ReportTallyMonth)) if t.n}
    summed: dict = {}
    for (day, dimension, value), n in days.items():
        key = (day.replace(day=1), dimension, value)
        summed[key] = summed.get(key, 0) + n
    assert months == summed  # the months are the days summed, as kept and as migrated
    return days


def test_the_migration_rebuilds_the_tallies_the_product_keeps(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
        location = session.scalar(select(Location).where(Location.code == "lib-chuo"))
        made = []
        for i, (phone, answers) in enumerate([
                ("090-1000-0001", {"subject": "self", "age_band": "65_plus", "danger_now": "no", "area": "kita"}),
                ("090-1000-0001", {"subject": "family", "age_band": "6_17", "danger_now": "no"}),
                ("090-1000-0002", {"subject": "self", "age_band": "18_39", "danger_now": "yes",
                                   "concerns": ["money", "housing"], "area": "minami"}),
                (None, {"subject": "someone_else", "age_band": "unknown", "danger_now": "no"})]):
            consent = ConsentGiven(text_id="consent-default", text_version=1, text_hash="0" * 64, locale="ja",
                                   share_with_provider=phone is not None, channel="kiosk", location_id=location.id,
                                   contact_methods=("phone",) if phone else ("none",))
            made.append(intakes.submit(session, form_id="intake-default", form_version=2, locale="ja",
                                       channel="kiosk", location=location, answers=answers, consent=consent,
                                       identifying={"name": f"相談者{i}", "phone": phone}).intake)
        session.commit()
        first = made[0]
        staff, _ = accounts.create_user(session, "staff", PASSWORD, "provider_staff",
                                        session.get(Provider, first.provider_id).code)
        lifecycle.transition(session, first, "accept", staff, now=first.created_at + timedelta(minutes=42))
        lifecycle.transition(session, first, "contacted", staff, now=first.created_at + timedelta(hours=5))
        lifecycle.transition(session, first, "close", staff, outcome="connected",
                             now=first.created_at + timedelta(days=2))
        other, _ = accounts.create_user(session, "staff2", PASSWORD, "provider_staff",
                                        session.get(Provider, made[2].provider_id).code)
        lifecycle.transition(session, made[2], "transfer", other, reason="better fit", to_provider="shogai")
        session.commit()
    kept = tallies(engine)
    assert kept and any(k[1] == "accept_wait" for k in kept) and any(k[1] == "event" for k in kept)
    command.downgrade(alembic_config(url), "0012")
    upgrade(url)
    assert tallies(engine) == kept
    command.downgrade(alembic_config(url), "0014")  # the months alone, summed from the days
    upgrade(url)
    assert tallies(engine) == kept
    engine.dispose()
