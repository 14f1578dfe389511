"""Follow-up lookups: unknown, expired, revoked and valid secrets, timed side by side.

Unknown, expired and revoked must look alike to a client, in body and in timing. Prints
the median and 90th percentile per kind over the same number of lookups, through the app:

    .venv/bin/python bench/follow_up.py
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from tsunagi import create_app
from tsunagi.domain import intakes, municipality, sealed
from tsunagi.domain.consent import ConsentGiven
from tsunagi.domain.models import FollowUp, Location
from tsunagi.web.db import upgrade
from tsunagi.web.extensions import db

# A throwaway database: a throwaway data key.
os.environ.setdefault("TSUNAGI_DATA_KEYS", sealed.new_key())

ROUNDS = 400


def main() -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    secrets = {}
    with app.app_context():
        municipality.apply(db.session, municipality.load_file(municipality.DEMO_FILE))
        location = db.session.scalar(select(Location).where(Location.code == "hub-minami"))
        for kind in ("valid", "expired", "revoked"):
            consent = ConsentGiven(text_id="c", text_version=1, text_hash="0" * 64, locale="ja",
                                   share_with_provider=True, channel="kiosk", location_id=location.id)
            made = intakes.submit(db.session, form_id="intake-default", form_version=1, locale="ja",
                                  channel="kiosk", location=location, identifying={}, consent=consent,
                                  answers={"subject": "self", "age_band": "65_plus", "danger_now": "no",
                                           "area": "minami"})
            row = db.session.scalar(select(FollowUp).where(FollowUp.intake_id == made.intake.id))
            if kind == "expired":
                row.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
            if kind == "revoked":
                row.revoked_at = datetime.now(timezone.utc)
            secrets[kind] = made.secrets.token
        db.session.commit()
    secrets["unknown"] = "x" * 32
    client = app.test_client()
    print(f"{ROUNDS} lookups each, interleaved; milliseconds")
    times: dict[str, list[float]] = {k: [] for k in secrets}
    for _ in range(ROUNDS):
        for kind, token in secrets.items():
            start = time.perf_counter()
            response = client.post("/api/v1/follow-up", json={"token": token})
            times[kind].append((time.perf_counter() - start) * 1000)
            assert response.status_code == (200 if kind == "valid" else 404)
    for kind, values in times.items():
        values.sort()
        print(f"{kind:<8} status {200 if kind == 'valid' else 404}  median {statistics.median(values):6.2f}  "
              f"p90 {values[int(len(values) * 0.9)]:6.2f}")
    medians = [statistics.median(times[k]) for k in ("unknown", "expired", "revoked")]
    print(f"not-found kinds: largest median / smallest median = {max(medians) / min(medians):.2f}")


if __name__ == "__main__":
    main()
