"""Babel catalogs: `script/translate extract|update|compile` (python -m tsunagi.translations).

One extraction covers Python, templates and form specs (babel.cfg). msgids are English, so
the `en` catalog's entries are the msgids themselves; `update` fills them in.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
SOURCES = ("tsunagi", "kiosk", "inbox", "api", "forms", "outreach")
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "--no-location", "--sort-output",
           "--omit-header"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract(output: Path = POT) -> None:
    """Write the template from Python, templates and form specs."""
    pybabel(*EXTRACT, "-o", str(output), *SOURCES)


def fill_source_locale() -> None:
    path = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True)


def update() -> None:
    """Extract, merge into every catalog, fill English."""
    extract()
    pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")
    fill_source_locale()


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS))


def main(argv: list[str]) -> int:
    commands = {"extract": extract, "update": update, "compile": compile_catalogs}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: script/translate extract|update|compile", file=sys.stderr)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
