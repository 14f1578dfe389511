"""Personal data sealed at rest: AES-256-GCM column values under keys kept outside the database.

A sealed value is stored as text, `<key id>:<base64 of nonce + ciphertext>`. The key id is
a fingerprint of the key (it reveals nothing about the key); the column's own name is the
associated data, so a value moved into another column does not open. The keys come from
`TSUNAGI_DATA_KEYS` (or a key file): the first encrypts, the others only decrypt, which is
how a key is rotated:

    TSUNAGI_DATA_KEYS="NEW,OLD" flask keys rotate   # re-encrypts every row with NEW
    TSUNAGI_DATA_KEYS="NEW"                        # OLD is no longer needed

What must be matched without decrypting (a phone number among duplicates, a search) uses a
keyed hash (HMAC-SHA256) whose key, the pepper, is kept in the database sealed under the
data keys: a stolen database alone reveals neither the data nor the numbers behind the
hashes, and rotating the data keys leaves the hashes as they are.

The key ring is process-wide (`use`); the app factory sets it from its settings, the
migrations and the test suite from the same environment. Imports no Flask.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.types import TypeDecorator

NONCE_BYTES = 12
KEY_ID = re.compile(r"^[0-9a-f]{8}:")
PEPPER = "hash_pepper"


class DataKeyError(RuntimeError):
    """The data keys are missing, malformed, or do not open what the database holds."""


def new_key() -> str:
    """A fresh data key as it is written in TSUNAGI_DATA_KEYS."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


GENERATE_HINT = ("Generate one with `python -c 'import base64, secrets; "
                 "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'`.")


def key_id(key: bytes) -> str:
    return hmac.new(key, b"tsunagi data key id", hashlib.sha256).hexdigest()[:8]


@dataclass
class KeyRing:
    """Data keys by id; `primary` encrypts, every key decrypts."""

    primary: str
    ciphers: dict[str, AESGCM]
    _pepper: bytes | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[str]:
        return list(self.ciphers)

    def seal(self, plain: str, purpose: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self.ciphers[self.primary].encrypt(nonce, plain.encode(), purpose.encode())
        return f"{self.primary}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, purpose: str) -> str:
        kid, _, body = stored.partition(":")
        cipher = self.ciphers.get(kid)
        if cipher is None:
            if not KEY_ID.match(stored):
                raise DataKeyError(f"{purpose} holds a value that is not sealed")
            raise DataKeyError(f"{purpose} is sealed with data key {kid}, which TSUNAGI_DATA_KEYS lacks")
        try:
            raw = base64.b64decode(body, validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise DataKeyError(f"{purpose}: a sealed value does not open with data key {kid}") from exc


def parse_keys(text: str | None, source: str = "TSUNAGI_DATA_KEYS") -> KeyRing:
    """Keys separated by commas, spaces or lines, each the URL-safe base64 of 32 bytes.

    :raise DataKeyError: none given, or one that is not a 256-bit key (the message says which).
    """
    parts = [p for p in re.split(r"[\s,]+", text or "") if p]
    if not parts:
        raise DataKeyError(f"{source} is empty: personal data cannot be sealed without a key. {GENERATE_HINT}")
    ciphers: dict[str, AESGCM] = {}
    for n, part in enumerate(parts, 1):
        try:
            key = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise DataKeyError(f"{source}: key {n} is not the URL-safe base64 of 32 bytes. {GENERATE_HINT}")
        ciphers.setdefault(key_id(key), AESGCM(key))
    return KeyRing(primary=next(iter(ciphers)), ciphers=ciphers)


_ring: KeyRing | None = None


def use(ring: KeyRing) -> None:
    """Make `ring` the process's data keys (the app factory, the migrations, the tests)."""
    global _ring
    _ring = ring


def ring() -> KeyRing:
    if _ring is None:
        # Migrations or a script run outside the app: the same environment setting.
        if os.environ.get("TSUNAGI_DATA_KEYS"):
            use(parse_keys(os.environ["TSUNAGI_DATA_KEYS"]))
        else:
            raise DataKeyError(f"No data keys: set TSUNAGI_DATA_KEYS. {GENERATE_HINT}")
    assert _ring is not None
    return _ring


class Sealed(TypeDecorator):
    """A column whose value is sealed on the way in and opened on the way out.

    `purpose` names the column (bound into the ciphertext); `document=True` keeps a JSON
    document (dict or list) instead of a string. NULL stays NULL. The database sees
    only text, so such a column is never compared or searched in SQL.
    """

    impl = Text
    cache_ok = True

    class Comparator(TypeDecorator.Comparator):
        # Ciphertext differs on every write: a comparison in SQL would silently match
        # nothing, so only IS [NOT] NULL is allowed. Match through a keyed hash instead.
        def operate(self, op, *other, **kwargs):
            # A comparison with a value (== "山田", in_([...]), like(...)) is refused; the
            # ORM's own comparisons of column with column and IS [NOT] NULL still work.
            if op not in (operators.is_, operators.is_not) and any(
                    o is not None and not isinstance(o, ClauseElement) for o in other):
                raise TypeError(f"{self.type.purpose} is sealed: it cannot be compared in SQL")
            return super().operate(op, *other, **kwargs)

    comparator_factory = Comparator

    def __init__(self, purpose: str, document: bool = False):
        super().__init__()
        self.purpose = purpose
        self.document = document

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if self.document else str(value)
        return ring().seal(plain, self.purpose)

    def process_result_value(self, value: str | None, dialect) -> Any:
        if value is None:
            return None
        plain = ring().open(value, self.purpose)
        return json.loads(plain) if self.document else plain


def keyed_hash(pepper: bytes, value: str) -> str:
    return hmac.new(pepper, value.encode(), hashlib.sha256).hexdigest()
