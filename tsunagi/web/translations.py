"""Babel catalogs: `script/translate extract|update|compile|furigana|check`
(python -m tsunagi.web.translations).

One extraction covers Python, templates and form specs (babel.cfg). msgids are English, so
the `en` catalog's entries are the msgids themselves; `update` fills them in.

`translations/glossary.yaml` holds the welfare terms as municipalities use them in each
language; `check` fails when a translation of a text using a term does not use its rendering.

`furigana` writes `translations/ja/furigana-readings.txt`: every Japanese and やさしい日本語
text with the readings residents will see (漢字[かんじ]), for a reviewer to read and for git
to show when a reading changes. `check` fails when that file is not current.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from tsunagi.domain import ROOT, TRANSLATIONS
from tsunagi.domain.vocabulary import FURIGANA_LOCALES, LOCALES

POT = TRANSLATIONS / "messages.pot"
READINGS = TRANSLATIONS / "ja" / "furigana-readings.txt"
GLOSSARY = "glossary.yaml"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
SOURCES = ("tsunagi", "kiosk", "inbox", "api", "forms", "outreach")
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "--no-location", "--sort-output",
           "--omit-header"]


def pybabel(*args: str, quiet: bool = False) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT,
                   capture_output=quiet)


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
    """Extract, merge into every catalog, fill English, write the furigana readings."""
    extract()
    pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")
    fill_source_locale()
    write_readings()


def readings(translations: Path = TRANSLATIONS) -> str:
    """The review text of the furigana: per Japanese locale, each translation containing
    kanji with readings in brackets. Placeholders read as the number 3, as the page
    would show a count or a name in their place."""
    from tsunagi.domain.furigana import Reader, project_dictionary

    reader = Reader(project_dictionary())
    lines = ["# Furigana as residents see them (script/translate furigana writes this file;",
             "# correct a reading in translations/ja/furigana.yaml).", ""]
    for locale in FURIGANA_LOCALES:
        with (translations / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f)
        lines.append(f"[{locale}]")
        for message in sorted((m for m in catalog if m.id), key=lambda m: str(m.id)):
            for text in message.string if isinstance(message.string, tuple) else (message.string,):
                shown = PLACEHOLDER.sub("3", text or "")
                segments = reader.segments(shown)
                if any(reading for _base, reading in segments):
                    marked = "".join(base if r is None else f"{base}[{r}]" for base, r in segments)
                    lines.append(marked.replace("\n", "⏎"))
        lines.append("")
    return "\n".join(lines)


def write_readings() -> None:
    READINGS.write_text(readings(), encoding="utf-8")


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS))


def _without_date(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith('"POT-Creation-Date')]


def problems(translations: Path = TRANSLATIONS) -> list[str]:
    """What makes the catalogs unfit to ship: a stale template (the sources say something
    else), a msgid missing from a catalog, an empty or fuzzy entry, or `msgfmt -c` errors."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        pybabel(*EXTRACT, "-o", str(fresh), *SOURCES, quiet=True)
        if _without_date(fresh) != _without_date(translations / "messages.pot"):
            found.append(f"{translations / 'messages.pot'} is stale: run script/translate update")
    with (translations / "messages.pot").open("rb") as f:
        template = read_po(f)
    for po in sorted(translations.glob("*/LC_MESSAGES/messages.po")):
        result = subprocess.run(["msgfmt", "-c", "--statistics", "-o", "/dev/null", str(po)],
                                capture_output=True, text=True)
        report = (result.stdout + result.stderr).strip()
        if result.returncode != 0 or "fuzzy" in report or "untranslated" in report:
            found.append(f"{po}: {report}")
        with po.open("rb") as f:
            catalog = read_po(f)
        missing = [m.id for m in template if m.id and m.id not in catalog]
        empty = [m.id for m in catalog if m.id and not m.string]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        for kind, ids in (("missing", missing), ("empty", empty), ("fuzzy", fuzzy)):
            if ids:
                found.append(f"{po}: {len(ids)} {kind}, first {ids[0]!r}")
    current = translations / READINGS.relative_to(TRANSLATIONS)
    if not current.exists() or current.read_text(encoding="utf-8") != readings(translations):
        found.append(f"{current} is stale: run script/translate furigana and review the readings")
    return found + glossary_problems(translations) + municipality_problems()


def municipality_problems(path: Path | None = None) -> list[str]:
    """A name or opening hours of the shipped (demo) municipality without a rendering in
    some shipped locale: residents would read a romanised Japanese name instead."""
    from tsunagi.domain import municipality

    path = path or municipality.DEMO_FILE
    return [f"{path}: no {locale} rendering of {', '.join(gaps)}"
            for locale, gaps in municipality.missing_translations(municipality.load_file(path)).items()]


def glossary_problems(translations: Path = TRANSLATIONS) -> list[str]:
    """A term's rendering missing from a translation whose English uses the term, or a term
    without a rendering for some shipped locale."""
    import unicodedata

    import yaml

    def fold(text: str) -> str:
        return unicodedata.normalize("NFC", text).casefold()

    path = translations / GLOSSARY
    terms = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: list[str] = []
    catalogs = {}
    for locale in LOCALES:
        if locale != "en":
            with (translations / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
                catalogs[locale] = read_po(f)
    for term, renderings in terms.items():
        missing = sorted(set(catalogs) - set(renderings or {}))
        if missing:
            found.append(f"{path}: {term!r} has no rendering for {', '.join(missing)}")
        for locale, rendering in (renderings or {}).items():
            if locale not in catalogs:
                found.append(f"{path}: {term!r} names {locale!r}, which is not shipped")
                continue
            for message in catalogs[locale]:
                if message.id and fold(term) in fold(str(message.id)) and message.string \
                        and fold(str(rendering)) not in fold(str(message.string)):
                    found.append(f"{translations / locale}: {str(message.id)[:60]!r} does not use "
                                 f"{rendering!r} for {term!r} ({path.name})")
    return found


def check() -> None:
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        sys.exit(1)
    print("translations: complete and current")


def main(argv: list[str]) -> int:
    commands = {"extract": extract, "update": update, "compile": compile_catalogs,
                "furigana": write_readings, "check": check}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: script/translate extract|update|compile|furigana|check", file=sys.stderr)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
