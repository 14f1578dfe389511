from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tsunagi.domain import follow_up
from tsunagi.domain.models import FollowUp


def test_codes_carry_a_check_symbol_and_normalize():
    code = follow_up._encode_code(2**65 - 1)
    assert len(code) == 14
    typed = "-".join([code[:4], code[4:8], code[8:]]).lower().replace("1", "l").replace("0", "o")
    assert follow_up.normalize_code(typed) == code
    assert follow_up.normalize_code(" ".join(code)) == code


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
