"""The domain floor: plain Python and SQLAlchemy. It imports no Flask, werkzeug, flask_*,
forms or audience package (tests/test_boundaries.py); services take a `Session` and their
settings as arguments and return plain data."""
from pathlib import Path

# The project's tree: the catalogs and the shipped municipality files live beside the code.
ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
