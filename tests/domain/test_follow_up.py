from __future__ import annotations

from datetime import datetime, timedelta, timezone

import base32_crockford
import pytest
from sqlalchemy import select

from tsunagi.domain import follow_up
from tsunagi.domain.models import FollowUp


def test_codes_carry_a_check_symbol_and_normalize():
    code = follow_up._encode_code(2**65 - 1)
    assert len(code) == 14
    typed = "-".join([code[:4], code[4:8], code[8:]]).lower().replace("1", "l").replace("0", "o")
    assert follow_up.normalize_code(typed)[0] == code
    assert follow_up.normalize_code(" ".join(code))[0] == code
    # As a Japanese keyboard types it: full-width symbols and a full-width hyphen.
    wide = "－".join([code[:4], code[4:8], code[8:]]).translate(
        {c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert follow_up.normalize_code(wide)[0] == code


def test_every_code_is_made_of_symbols_easy_to_read_aloud():
    """No check symbol outside the alphabet (* ~ $ = U): 2,000 random codes."""
    import secrets as random

    for _ in range(2000):
        code = follow_up._encode_code(random.randbits(follow_up.CODE_BITS))
        assert set(code) <= set(follow_up.ALPHABET), code


def test_codes_printed_with_the_old_check_symbol_still_work():
    number = next(n for n in range(1000) if follow_up._legacy_code(n)[-1] in "*~$=U")
    legacy = follow_up._legacy_code(number)
    assert legacy in follow_up.normalize_code(legacy.lower())


def test_a_single_wrong_symbol_is_always_caught():
    """Any one symbol typed wrong fails the check of the current codes."""
    code = follow_up._encode_code(987654321987)
    for i in range(len(code)):
        for symbol in follow_up.ALPHABET:
            if symbol != code[i]:
                wrong = code[:i] + symbol + code[i + 1:]
                assert follow_up._encode_code(base32_crockford.decode(wrong[:-1])) != wrong


def test_wrong_check_symbol_is_reported_as_such():
    code = follow_up._encode_code(123456789)
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(follow_up.CodeCheckFailed):
        follow_up.normalize_code(wrong)


@pytest.mark.parametrize("text", ["", "ABC", "U" * 14, "*" * 20])
def test_malformed_codes(text):
    with pytest.raises(follow_up.CodeMalformed):
        follow_up.normalize_code(text)


def test_secrets_are_stored_only_as_hashes(session, submitted):
    secrets = submitted.secrets
    row = session.scalar(select(FollowUp).where(FollowUp.intake_id == submitted.intake.id))
    assert secrets.token not in (row.token_hash, row.code_hash)
    assert len(secrets.token) >= 32  # 24 random bytes, url-safe
    assert follow_up.find(session, token=secrets.token).id == submitted.intake.id
    assert follow_up.find(session, code=follow_up.normalize_code(secrets.grouped_code.lower())).id == submitted.intake.id
    assert follow_up.find(session, code=secrets.code).id == submitted.intake.id


def test_the_code_is_kept_as_a_keyed_hash_that_a_copy_of_the_database_cannot_search(session, submitted):
    """A plain SHA-256 of a 65-bit code can be searched for in a copy of the database; the
    stored hash needs the pepper, which the database keeps only sealed."""
    import hashlib

    from tsunagi.domain import data_keys, sealed

    row = session.scalar(select(FollowUp).where(FollowUp.intake_id == submitted.intake.id))
    code = submitted.secrets.code
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert row.code_hash == sealed.keyed_hash(data_keys.pepper(session), f"code:{code}")


def test_a_code_kept_as_a_plain_hash_before_is_still_found(session, submitted):
    import hashlib

    row = session.scalar(select(FollowUp).where(FollowUp.intake_id == submitted.intake.id))
    row.code_hash = hashlib.sha256(submitted.secrets.code.encode()).hexdigest()  # as issued before
    session.commit()
    assert follow_up.find(session, code=follow_up.normalize_code(submitted.secrets.grouped_code)).id == submitted.intake.id


def test_unknown_expired_and_revoked_all_give_none(session, submitted):
    row = session.scalar(select(FollowUp).where(FollowUp.intake_id == submitted.intake.id))
    assert follow_up.find(session, token="not-a-token") is None
    row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    session.commit()
    assert follow_up.find(session, token=submitted.secrets.token) is None
    row.expires_at = None
    row.revoked_at = datetime.now(timezone.utc)
    session.commit()
    assert follow_up.find(session, token=submitted.secrets.token) is None
