"""Babel catalogs: `script/translate extract|update|compile|furigana|check`
(python -m tsunagi.web.translations).

One extraction covers Python, templates and form specs (babel.cfg). msgids are English, so
the `en` catalog's entries are the msgids themselves; `update` fills them in.

`translations/glossary.yaml` holds the welfare terms as municipalities use them in each
language; `check` fails when a translation of a text using a term does not use its rendering.

Translators see where a text is used (file names, not line numbers: the template does not go
stale when a line moves) and the `# TRANSLATORS:` comments of Python and the
`{# TRANSLATORS: #}` comments of templates. An answer that reads differently as a fact and
as a permission (Yes, No) or a short button (Check, Change) has a `msgctxt`
(`pgettext`; form-spec choices get theirs from forms/extract.py); `check` fails on one
without (`context_problems`), on a text built by joining (`concatenation_problems`) and on
やさしい日本語 that breaks the mechanical rules of the 2020 guideline (`easy_japanese_problems`).

`furigana` writes `translations/ja/furigana-readings.txt`: every Japanese and やさしい日本語
text with the readings residents will see (漢字[かんじ]), for a reviewer to read and for git
to show when a reading changes. `check` fails when that file is not current.
"""
from __future__ import annotations

import ast
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
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-k", "lazy_pgettext:1c,2",
           "--add-comments=TRANSLATORS:", "--add-location=file", "--sort-output", "--omit-header"]
# Short texts whose translation depends on what they answer or do: never without msgctxt.
AMBIGUOUS = frozenset({"Yes", "No", "Check", "Change"})
GETTEXT_CALLS = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l",
                           "lazy_pgettext", "lazy_ngettext"})


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


def problems(translations: Path = TRANSLATIONS, municipality_file: Path | None = None) -> list[str]:
    """What makes the catalogs unfit to ship: a stale template (the sources say something
    else), a msgid missing from a catalog, an empty or fuzzy entry, or `msgfmt -c` errors;
    an ambiguous msgid without context, a text built by joining, やさしい日本語 against the
    guideline's mechanical rules, a glossary term not used, and a name or text of the
    municipality file (`municipality_file`, default the demo) without a rendering."""
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
        missing = [m.id for m in template if m.id and catalog.get(m.id, context=m.context) is None]
        empty = [m.id for m in catalog if m.id and not m.string]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        for kind, ids in (("missing", missing), ("empty", empty), ("fuzzy", fuzzy)):
            if ids:
                found.append(f"{po}: {len(ids)} {kind}, first {ids[0]!r}")
    current = translations / READINGS.relative_to(TRANSLATIONS)
    if not current.exists() or current.read_text(encoding="utf-8") != readings(translations):
        found.append(f"{current} is stale: run script/translate furigana and review the readings")
    return (found + context_problems(template) + concatenation_problems() + easy_japanese_problems(translations)
            + glossary_problems(translations) + municipality_problems(municipality_file))


def context_problems(template) -> list[str]:
    """An AMBIGUOUS msgid (Yes, No, Check, Change) extracted without a msgctxt: a Thai,
    Nepali, Burmese or Chinese "yes" to "may we send?" is not the "yes" to "is anyone in
    danger?". Use pgettext("answer to a question of fact" | "answer giving or refusing permission" |
    "button: ..."): forms.extract.FACT and PERMISSION."""
    return [f"{POT.name}: {message.id!r} has no msgctxt (used in "
            f"{', '.join(sorted({path for path, _line in message.locations})) or 'unknown'}): use pgettext"
            for message in template if message.id in AMBIGUOUS and not message.context]


def _gettext_call(node) -> bool:
    """A gettext call of a text written in place (a literal msgid): a label looked up
    by a code (`gettext(SERVICES[code])`) is a term, which may stand beside a name."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_CALLS
            and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args))


def python_concatenations(source: str, name: str = "<source>") -> list[str]:
    """Translated text joined with other text in Python: `_("...") + x` or `x + _("...")`
    (an addition with a gettext call as an operand), or an f-string that holds a gettext
    call beside anything else (`f"{_('Seconds left:')} {n}"`). Word order and spacing
    differ between languages: the whole sentence is one msgid with %(name)s placeholders."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (
                _gettext_call(node.left) or _gettext_call(node.right)):
            found.append(f"{name}:{node.lineno}: translated text joined with '+'")
        elif isinstance(node, ast.JoinedStr) and len([v for v in node.values if not (
                isinstance(v, ast.Constant) and not v.value)]) > 1 and any(
                isinstance(v, ast.FormattedValue) and _gettext_call(v.value) for v in node.values):
            found.append(f"{name}:{node.lineno}: translated text inside an f-string")
    return found


_TAGS_ONLY = re.compile(r"^(\s|<[^<>]*>)*$")
_CODE_TAG = re.compile(r"<[^<>]*\bclass=\"[^\"]*\bcode\b[^\"]*\"[^<>]*>\s*$")


def template_concatenations(source: str, name: str = "<template>") -> list[str]:
    """Translated text joined with other text in a Jinja template: a gettext call joined
    with `~`, or a msgid ending in a colon followed on the page by a value, with only
    spaces and tags between (`{{ _("Seconds left:") }} <span>{{ n }}</span>`): a label
    and a value read as one sentence, in an order some languages cannot keep. A value in an
    element of class "code" (a receipt or set-up code, read out character by character)
    stands apart from the sentence and is allowed."""
    from jinja2 import Environment, nodes

    env = Environment(extensions=["jinja2.ext.i18n"])
    tree = env.parse(source)

    def call(node) -> bool:
        return (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name)
                and node.node.name in GETTEXT_CALLS and bool(node.args))

    def msgid(node) -> str:
        arg = node.args[-1] if node.node.name in ("pgettext", "lazy_pgettext") else node.args[0]
        return arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else ""

    found = []
    for concat in tree.find_all(nodes.Concat):
        if any(call(n) for n in concat.nodes):
            found.append(f"{name}:{concat.lineno}: translated text joined with '~'")
    for output in tree.find_all(nodes.Output):
        items = output.nodes
        for i, item in enumerate(items):
            if not (call(item) and msgid(item).rstrip().endswith((":", "："))):
                continue
            j = i + 1
            while j < len(items) and isinstance(items[j], nodes.TemplateData) and _TAGS_ONLY.match(items[j].data):
                j += 1
            between = "".join(n.data for n in items[i + 1:j])
            if j < len(items) and not isinstance(items[j], nodes.TemplateData) and not call(items[j]) \
                    and not _CODE_TAG.search(between):
                found.append(f"{name}:{item.lineno}: {msgid(item)!r} is followed by a value: "
                             "make it one msgid with a placeholder")
    return found


def concatenation_problems(root: Path = ROOT, sources=SOURCES) -> list[str]:
    """Every `python_concatenations` and `template_concatenations` in the extracted sources."""
    found: list[str] = []
    for top in sources:
        for path in sorted((root / top).rglob("*")):
            relative = str(path.relative_to(root))
            if path.suffix == ".py":
                found += python_concatenations(path.read_text(encoding="utf-8"), relative)
            elif path.suffix == ".html" and "templates" in path.parts:
                found += template_concatenations(path.read_text(encoding="utf-8"), relative)
    return found


# やさしい日本語 (ja@easy), after the 2020 guideline of the Immigration Services Agency and the
# Agency for Cultural Affairs: one idea a sentence, short sentences, no double negatives,
# spaces between phrases (文節), never between a word and its particle.
EASY = "ja@easy"
SENTENCE_LIMIT = 40
_READING = re.compile(r"（[\u3040-\u30ff・ー\s]+）")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")
_PARTICLE = ("の|を|に|が|は|で|と|へ|も|や|か|から|まで|より|など|でも|ので|のに|には|では|とは|にも|"
             "へは|とも|だけ|しか|って|として|について|な|です|ですか|でした|だ")
# The forms of する and できる after a word written with its reading: 相談（そうだん）する is one phrase.
_SURU = ("する|した|して|しない|します|しました|しません|すると|したら|される|されます|"
         "できる|できます|できません|できない")
# A particle (or copula) standing alone between spaces, or する split from its noun: the
# space before it splits a phrase.
_SPLIT = re.compile(rf"(?<=\S) ({_PARTICLE})(?=[\s、。，！？」』）)]|$)|(?<=）) ({_SURU})(?=[\s、。，！？」』）)]|$)")
# A negative condition, then a negative in the same sentence: 〜しないと〜ません,
# 〜なければ〜なりません, 〜なくては〜いけない, 〜ないなら〜できない.
_DOUBLE_NEGATIVE = re.compile(
    r"(?:な(?:い|く)(?:と(?!き|ころ)|なら|ては|ても|ちゃ)|なければ|ずに(?:は)|ないで(?:は))"
    r".*?(?:ない|ません|なかった|だめ|いけ)")


def _plain(sentence: str) -> str:
    """A sentence as counted: no readings in brackets, no spaces, a placeholder as 3
    characters (a name or a number takes some room)."""
    return re.sub(r"\s", "", PLACEHOLDER.sub("〇〇〇", _READING.sub("", sentence)))


def easy_problems(text: str) -> list[str]:
    """The mechanical rules for one やさしい日本語 text (`easy_japanese_problems`):

    - a sentence (ended by 。！？ or a line break) of more than SENTENCE_LIMIT characters,
      counted without spaces and without readings in （）: the guideline asks for short
      sentences with one idea each and gives no number; 40 is an upper bound, not a target;
    - a double negative within one sentence: a negative condition (〜ないと, 〜なければ,
      〜なくては, 〜ないなら, 〜なくても) followed by a negative (〜ない, 〜ません, だめ, いけない);
      say what happens instead (〜すると, 〜してください);
    - a particle (の, を, に, が, は, で, と, から, まで, ...) or a copula (な, です) standing
      alone after a space, or a form of する or できる split from a word written with its reading
      (相談（そうだん） します): the text is spaced by phrase (文節), "あなたの こたえ",
      "相談（そうだん）します", never "あなた の こたえ"."""
    found = []
    for sentence in _SENTENCE_END.split(text):
        plain = _plain(sentence)
        if len(plain) > SENTENCE_LIMIT:
            found.append(f"sentence of {len(plain)} characters (over {SENTENCE_LIMIT}): {sentence.strip()[:40]!r}")
        if _DOUBLE_NEGATIVE.search(plain):
            found.append(f"double negative: {sentence.strip()[:40]!r}")
    for split in _SPLIT.finditer(text):
        start = max(0, split.start() - 8)
        found.append(f"{split.group(1) or split.group(2)!r} split from its word: "
                     f"{text[start:split.end() + 4]!r}")
    return found


def easy_japanese_problems(translations: Path = TRANSLATIONS) -> list[str]:
    """`easy_problems` for every translation in the ja@easy catalog."""
    with (translations / EASY / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            found += [f"{translations / EASY}: {str(message.id)[:40]!r}: {p}" for p in easy_problems(text or "")]
    return found


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
