"""A municipality's own table of triage cases, for `flask triage check`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import RootModel

from tsunagi.domain.datafile import Strict, load_model


class Expect(Strict):
    service: str | None = None
    priority: str | None = None
    rule: str | None = None
    provider: str | None = None
    # The service that takes a team intake when the resident declines the meeting.
    first_contact: str | None = None


class Case(Strict):
    name: str
    answers: dict[str, Any]
    area: str | None = None
    locale: str = "ja"
    expect: Expect


class Cases(RootModel[list[Case]]):
    pass


def load_cases(path: Path | str) -> list[Case]:
    """:raise DataFileError: the file is not a list of cases; the message says where."""
    return load_model(path, Cases).root
