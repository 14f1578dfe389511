"""Sealed columns: AES-GCM under the data keys, rotation, the keyed contact hash."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tsunagi.domain import data_keys, intakes, sealed
from tsunagi.domain.models import DataKey, Intake


@pytest.fixture
def restore_ring():
    before = sealed.ring()
    yield
    sealed.use(before)


def test_a_sealed_value_opens_only_with_its_key_and_column():
    ring = sealed.parse_keys(sealed.new_key())
    stored = ring.seal("山田 花子", "intake.name")
    assert stored.startswith(ring.primary + ":") and "山田" not in stored
    assert ring.open(stored, "intake.name") == "山田 花子"
    assert ring.seal("山田 花子", "intake.name") != stored  # a fresh nonce each time
    with pytest.raises(sealed.DataKeyError, match="does not open"):
        ring.open(stored, "intake.free_text")  # moved into another column
    other = sealed.parse_keys(sealed.new_key())
    with pytest.raises(sealed.DataKeyError, match=f"data key {ring.primary}, which TSUNAGI_DATA_KEYS lacks"):
        other.open(stored, "intake.name")
    with pytest.raises(sealed.DataKeyError, match="not sealed"):
        ring.open("plain text", "intake.name")


@pytest.mark.parametrize("setting, message", [
    ("", "is empty"),
    ("  ,  ", "is empty"),
    ("not-a-key", "key 1 is not the URL-safe base64 of 32 bytes"),
    (f"{sealed.new_key()},c2hvcnQ=", "key 2 is not"),
])
def test_malformed_keys_are_refused_with_what_is_wrong(setting, message):
    with pytest.raises(sealed.DataKeyError, match=message):
        sealed.parse_keys(setting)


def test_the_first_key_encrypts_and_every_key_decrypts():
    new, old = sealed.new_key(), sealed.new_key()
    old_ring = sealed.parse_keys(old)
    both = sealed.parse_keys(f"{new}, {old}")
    assert both.primary == sealed.parse_keys(new).primary and both.ids[1] == old_ring.primary
    assert both.open(old_ring.seal("x", "p"), "p") == "x"


def test_intake_columns_hold_no_plaintext(session, make_intake):
    intake = make_intake(share=True).intake
    row = session.execute(text("SELECT name, contact, answers, decision FROM intake WHERE id = :id"),
                          {"id": intake.id}).one()
    primary = sealed.ring().primary
    assert all(value.startswith(primary + ":") for value in row)
    session.expire_all()
    again = session.get(Intake, intake.id)
    assert again.name == intake.name and again.answers == intake.answers and again.contact == intake.contact


def test_the_contact_hash_is_keyed(session, demo):
    key = intakes.contact_key(session, {"phone": "090-1234-5678"})
    assert key == intakes.contact_key(session, {"phone": "09012345678"})
    import hashlib
    assert key != hashlib.sha256(b"tel:09012345678").hexdigest()


def test_rotation_re_seals_every_row_in_resumable_batches(session, make_intake, restore_ring):
    made = [make_intake(share=True).intake for _ in range(3)]
    old = sealed.ring()
    pepper = data_keys.pepper(session)
    new = sealed.parse_keys(sealed.new_key())
    sealed.use(sealed.KeyRing(primary=new.primary, ciphers={**new.ciphers, **old.ciphers}))
    assert data_keys.left_to_rotate(session)["intake"] == 3
    before = sum(data_keys.left_to_rotate(session).values())

    class Stop(Exception):
        pass

    def stop_after_first(progress):
        raise Stop(progress)

    with pytest.raises(Stop):
        data_keys.rotate(session, batch=1, report=stop_after_first)
    assert sum(data_keys.left_to_rotate(session).values()) == before - 1  # the first batch was committed
    seen = []
    data_keys.rotate(session, batch=2, report=seen.append)
    assert all(left == 0 for left in data_keys.left_to_rotate(session).values())
    assert {("intake", 2, 1), ("intake", 3, 0)} <= {(p.table, p.done, p.left) for p in seen}
    assert set(session.scalars(select(DataKey.kid))) == {new.primary}

    sealed.use(new)  # the old key is gone: every row still opens, the hashes did not change
    session.expire_all()
    for intake in made:
        assert session.get(Intake, intake.id).name == intake.name
    assert data_keys.pepper(session) == pepper
    assert intakes.contact_key(session, made[0].contact) == made[0].contact_key


def test_a_sealed_column_cannot_be_compared_in_sql():
    # Ciphertext differs on every write: such a query would silently find nothing.
    with pytest.raises(TypeError, match="intake.name is sealed"):
        select(Intake).where(Intake.name == "山田 花子")
    select(Intake).where(Intake.name.is_not(None))  # whether there is a name can be asked
