"""Fixtures of the catalog tests."""
from __future__ import annotations

import shutil

import pytest

from tsunagi.web.translations import TRANSLATIONS


@pytest.fixture
def catalogs(tmp_path):
    """A copy of translations/ to break on purpose; the real catalogs are never touched."""
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    return copy
