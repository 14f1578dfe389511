"""Furigana: readings over kanji for residents who read Japanese but not every kanji.

Readings come from, in this order:
1. readings written in the text itself, as やさしい日本語 does: 相談（そうだん）;
2. a reading dictionary (`translations/ja/furigana.yaml`, and the municipality file's
   `furigana:` for local names), matched on the analyzer's word boundaries;
3. numbers with a counter (1日 ついたち, 20日 はつか, 3人 さんにん);
4. the Sudachi morphological analyzer (SudachiPy + SudachiDict core) for the rest.

`segments()` splits a text into (base, reading or None); `annotate_html()` puts `<ruby>`
around the kanji of the text nodes of an HTML page, leaving alone what must stay plain
(`title`, `option`, `textarea`, scripts, attributes, text in another `lang`, and anything
marked `data-furigana="off"`, such as what a resident typed).
No Flask here: the kiosk decides when to call it.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

import yaml

from tsunagi.domain import TRANSLATIONS

Segment = tuple[str, "str | None"]

KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
HAS_KANJI = re.compile(f"[{KANJI}]")
KANJI_RUN = re.compile(f"[{KANJI}]+")
KANA_READING = re.compile(r"^[\u3041-\u3096\u30a1-\u30faー]+$")
# A reading written after its kanji in full-width brackets: 相談（そうだん）.
# The word may start with お/ご and end in okurigana: お金（おかね）, 子育て（こそだて）.
AUTHORED = re.compile(f"((?:[おご])?[{KANJI}]+[\u3041-\u3096]*)（([\u3041-\u3096ー]+)）")
NUMBER = re.compile("^[0-9０-９]+$")

DICTIONARY = TRANSLATIONS / "ja" / "furigana.yaml"


class FuriganaError(ValueError):
    """A reading dictionary entry is unusable; the message names the file and the word."""


def hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def _number(text: str) -> int:
    return int(text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


_DAYS = {1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか",
         7: "なのか", 8: "ようか", 9: "ここのか", 10: "とおか", 14: "じゅうよっか",
         20: "はつか", 24: "にじゅうよっか"}
_PEOPLE = {1: "ひとり", 2: "ふたり"}
_MINUTES_P = {1, 3, 4, 6, 8}  # いっぷん, さんぷん, よんぷん, ろっぷん, はっぷん (and 10, 20, …)
_COUNTER = {"年": "ねん", "月": "がつ", "時": "じ", "件": "けん", "歳": "さい", "回": "かい",
            "階": "かい", "番": "ばん", "人": "にん", "日": "にち", "分": "ふん", "問": "もん",
            "秒": "びょう", "か所": "かしょ", "箇所": "かしょ"}


def _counted(number: str, counter: str) -> list[Segment]:
    """Readings of a number with its counter: irregular ones over the whole, else the counter."""
    n = _number(number)
    if counter == "日" and n in _DAYS:
        return [(number + counter, _DAYS[n])]
    if counter == "人" and n in _PEOPLE:
        return [(number + counter, _PEOPLE[n])]
    if counter in ("か所", "箇所"):
        return [(number, None)] + align(counter, "かしょ")
    if counter == "分":
        return [(number, None), (counter, "ぷん" if n % 10 in _MINUTES_P or n % 10 == 0 else "ふん")]
    return [(number, None), (counter, _COUNTER[counter])]


def fit(surface: str, reading: str) -> list[Segment] | None:
    """Each kanji run of a word with its part of the word's reading: (選ん, えらん) →
    [(選, えら), (ん, None)]; None when the word's kana do not line up with the reading."""
    reading = hiragana(reading)
    if not HAS_KANJI.search(surface) or not KANA_READING.match(reading):
        return None
    parts = re.split(f"([{KANJI}]+)", surface)
    pattern = "".join("(.+?)" if i % 2 else f"({re.escape(hiragana(p))})" for i, p in enumerate(parts))
    match = re.fullmatch(pattern, reading)
    if match is None:
        return None
    return [(part, read if i % 2 else None) for i, (part, read) in enumerate(zip(parts, match.groups())) if part]


def align(surface: str, reading: str) -> list[Segment]:
    """`fit`, or the whole word under the whole reading when the kana do not line up;
    a word without kanji or without a kana reading has no reading."""
    fitted = fit(surface, reading)
    if fitted is not None:
        return fitted
    if not HAS_KANJI.search(surface) or not KANA_READING.match(hiragana(reading)):
        return [(surface, None)]
    return [(surface, hiragana(reading))]


def _merge(segments: list[Segment]) -> list[Segment]:
    """Join neighbouring plain pieces, so the output has one piece per run of plain text."""
    out: list[Segment] = []
    for base, reading in segments:
        if not base:
            continue
        if reading is None and out and out[-1][1] is None:
            out[-1] = (out[-1][0] + base, None)
        else:
            out.append((base, reading))
    return out


def check_dictionary(entries: object, source: str) -> dict[str, str]:
    """The entries {word: reading} with readings in hiragana.

    :raise FuriganaError: an entry without kanji, or a reading that is not kana or does
        not fit the word."""
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise FuriganaError(f"{source}: furigana must be a mapping of word: reading")
    out = {}
    for word, reading in entries.items():
        if not isinstance(word, str) or not HAS_KANJI.search(word):
            raise FuriganaError(f"{source}: {word!r} has no kanji to read")
        if not isinstance(reading, str) or not KANA_READING.match(reading):
            raise FuriganaError(f"{source}: the reading of {word!r} must be kana, not {reading!r}")
        if fit(word, reading) is None:
            raise FuriganaError(f"{source}: the reading {reading!r} does not fit the kana of {word!r}")
        out[word] = hiragana(reading)
    return out


@lru_cache(maxsize=1)
def project_dictionary() -> dict[str, str]:
    """The project's reading dictionary: corrections to the analyzer for the words the
    product's own texts use."""
    data = yaml.safe_load(DICTIONARY.read_text(encoding="utf-8")) or {}
    return check_dictionary(data.get("words"), str(DICTIONARY))


class _Analyzer(threading.local):
    """One Sudachi tokenizer per thread (gunicorn runs threads); the dictionary is mmapped
    once per process."""

    def tokens(self, text: str) -> list[tuple[str, str]]:
        tokenizer = getattr(self, "tokenizer", None)
        if tokenizer is None:
            tokenizer = self.tokenizer = _dictionary().tokenizer(mode=_split_mode())
        return [(m.surface(), m.reading_form()) for m in tokenizer.tokenize(text)]


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def _split_mode():
    from sudachipy import SplitMode

    return SplitMode.C


_analyzer = _Analyzer()


class Reader:
    """Readings for Japanese text, with `words` (word → reading) preferred to the analyzer."""

    def __init__(self, words: dict[str, str] | None = None):
        self.words = dict(words or {})
        self._longest = sorted(self.words, key=len, reverse=True)
        self._cache: dict[str, list[Segment]] = {}
        # Whole pages seen again, annotated once (`page`); bounded, and thread-safe.
        self._pages = lru_cache(maxsize=64)(lambda page: annotate_html(page, self))

    def segments(self, text: str) -> list[Segment]:
        if not HAS_KANJI.search(text):
            return [(text, None)] if text else []
        cached = self._cache.get(text)
        if cached is None:
            out: list[Segment] = []
            position = 0
            for match in AUTHORED.finditer(text):
                word, reading = match.group(1), match.group(2)
                fitted = fit(word, reading)
                start = match.start()
                if fitted is None:
                    # The kana around the kanji are not part of the written reading.
                    kanji = KANJI_RUN.findall(word)[-1]
                    start = match.start(1) + word.rindex(kanji)
                    fitted = [(kanji, reading)] if word.endswith(kanji) else None
                if fitted is None:
                    continue
                out += self._words(text[position:start])
                out += fitted
                position = match.end()
            out += self._words(text[position:])
            cached = _merge(out)
            if len(self._cache) < 20_000:
                self._cache[text] = cached
        return cached

    def _words(self, text: str) -> list[Segment]:
        if not HAS_KANJI.search(text):
            return [(text, None)]
        tokens = _analyzer.tokens(text)
        bounds, offset = {0}, 0
        for surface, _reading in tokens:
            offset += len(surface)
            bounds.add(offset)
        # Dictionary words where they start and end on the analyzer's word boundaries
        # (so 家 → いえ does not touch 家族), longest first.
        taken: dict[int, tuple[int, str]] = {}
        for word in self._longest:
            start = text.find(word)
            while start != -1:
                end = start + len(word)
                free = all(not (s < end and start < e) for s, (e, _w) in taken.items())
                if start in bounds and end in bounds and free:
                    taken[start] = (end, word)
                start = text.find(word, start + 1)
        out: list[Segment] = []
        offset = 0
        previous = ""
        for surface, reading in tokens:
            end = offset + len(surface)
            inside = next(((s, e, w) for s, (e, w) in taken.items() if s <= offset < e), None)
            if inside is not None:
                if inside[0] == offset:
                    out += align(inside[2], self.words[inside[2]])
            elif surface in _COUNTER and NUMBER.match(previous):
                # A counter after a number (14日, 3人): the analyzer reads these poorly.
                if out and out[-1] == (previous, None):
                    out.pop()
                out += _counted(previous, surface)
            else:
                out += align(surface, reading)
            previous, offset = surface, end
        return out

    def reading(self, text: str) -> str:
        """The whole text in kana, as it is read: 北部地区 → ほくぶちく."""
        return "".join(reading or base for base, reading in self.segments(text))

    def romaji(self, text: str) -> str:
        """The text's reading in Latin letters (Hepburn as pykakasi writes it), word by word:
        北部地域包括支援センター → Hokubu chiiki houkatsu shien sentaa. For a resident who
        cannot read kana to say the name, or to match it to a romanised sign."""
        words = [" ".join(part["hepburn"] for part in _kakasi().convert(reading or base))
                 for base, reading in self.segments(text)]
        out = unicodedata.normalize("NFKC", " ".join(words)).replace("・", " ")
        out = re.sub(r"\s+", " ", out)
        out = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", out))
        out = re.sub(r"(?<=\S)\(", " (", out).strip()
        return out[:1].upper() + out[1:]

    def page(self, page: str) -> str:
        """`annotate_html(page, self)`, kept for the next time the same page comes: for
        pages of fixed texts only (HTML parsing costs more than the rest of such a page),
        never one holding what a resident wrote, which must not outlive its request."""
        return self._pages(page)

    def html(self, text: str) -> str:
        """`text` (already HTML-safe) with `<ruby>` around each kanji run that has a reading.
        The reading is a visual aid: hidden from assistive technology, which reads the
        kanji themselves, so names of buttons and labels stay the words as written."""
        return "".join(
            base if reading is None else f'<ruby>{base}<rp>(</rp><rt aria-hidden="true">{reading}</rt><rp>)</rp></ruby>'
            for base, reading in self.segments(text))


def without_authored(text: str) -> str:
    """The text with its written readings taken out: 相談（そうだん） → 相談."""
    return AUTHORED.sub(r"\1", text)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
PLAIN = {"title", "script", "style", "textarea", "option", "select", "ruby", "rt", "rp", "svg", "head"}


# Chromium names a button from its content with spaces around each ruby ("次 へ"), which a
# screen reader then reads as separate words; such a button is named by its words as written.
NAMED_BY_CONTENT = {"button"}


class _Annotator(HTMLParser):
    def __init__(self, text_of):
        super().__init__(convert_charrefs=False)
        self.text_of = text_of
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        # Open buttons: (index of the start tag in `out`, their text as written, changed?).
        self.named: list[list] = []

    @property
    def plain(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in VOID:
            return
        # Off where marked, and in another language (the language picker's 中文, 한국어).
        marked = any((name == "data-furigana" and value == "off")
                     or (name == "lang" and not (value or "").lower().startswith("ja")) for name, value in attrs)
        self.stack.append((tag, self.plain or tag in PLAIN or marked))
        if tag in NAMED_BY_CONTENT and not any(name in ("aria-label", "aria-labelledby") for name, _v in attrs):
            self.named.append([len(self.out) - 1, [], False, tag])

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self.named and self.named[-1][3] == tag:
            index, words, changed, _tag = self.named.pop()
            if changed:
                label = " ".join("".join(words).split()).replace('"', "&quot;")
                start = self.out[index]
                cut = len(start) - (2 if start.endswith("/>") else 1)
                self.out[index] = f'{start[:cut]} aria-label="{label}"{start[cut:]}'
        self.out.append(f"</{tag}>")
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def _text(self, raw: str, shown: str) -> None:
        for entry in self.named:
            entry[1].append(raw)
            entry[2] = entry[2] or shown != raw
        self.out.append(shown)

    def handle_data(self, data):
        self._text(data, data if self.plain or not data.strip() else self.text_of(data))

    def handle_entityref(self, name):
        self._text(f"&{name};", f"&{name};")

    def handle_charref(self, name):
        self._text(f"&#{name};", f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def rewrite_html(page: str, text_of) -> str:
    """`page` with `text_of` applied to each text node a reader sees as running text."""
    parser = _Annotator(text_of)
    parser.feed(page)
    parser.close()
    return "".join(parser.out)


def annotate_html(page: str, reader: Reader) -> str:
    return rewrite_html(page, reader.html)


def strip_authored_html(page: str) -> str:
    return rewrite_html(page, without_authored)
