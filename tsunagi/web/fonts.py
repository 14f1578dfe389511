"""The web fonts that travel with the product, for the scripts a kiosk may lack.

A Debian kiosk with default fonts draws Korean, Devanagari, Thai and Burmese as boxes, and
a stack that names a Japanese font first gives Chinese text Japanese glyph forms. So the
product serves its own Noto fonts (SIL Open Font License 1.1) from
`tsunagi/web/static/fonts/`: WOFF2 files cut by unicode range, weights 400 and 700.
Because of `unicode-range`, a browser downloads only the files whose characters a page
shows; `:lang()` picks the family, so each language gets its own glyph forms while Latin
text keeps the system stack (`--latin` in kiosk.css).

The @font-face rules of a CJK family are long (a range list per piece: 150-200 KB a
family, 46-66 KB compressed), so they are split by family and a page links only what it
may show (`stylesheets()`): `fonts.css` (the `:lang()` rules and faces cut to the
characters of every language's own name, for the language choices), the family of the
page's own language,
and on a page that shows official Japanese names (`{% set official_names = true %}`:
the language screen, the receipt, the follow-up page, the outreach app) the Japanese one.

`FONTS` is the one table: `script/build-fonts` (`python -m tsunagi.web.fonts build`)
fetches its npm packages and writes the files; the page-weight bench and the outreach
service worker read the generated stylesheets through `faces()` and `files_for()`.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask, url_for
from flask_babel import get_locale

from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web.i18n import catalog_text, html_lang

FONTS_DIR = Path(__file__).resolve().parent / "static" / "fonts"
STYLESHEET = "fonts.css"
OFFICIAL_LANG = "ja"  # the language of the official names of offices and places
WEIGHTS = (400, 700)
VERSION = "5.3.0"
# fontsource numbers the pieces of a CJK font "[0]" ... "[119]"; the other scripts have one
# named piece each. Latin, Cyrillic and Vietnamese pieces are left out: Latin text keeps
# the system stack.
NUMBERED = "numbered"


@dataclass(frozen=True)
class Font:
    lang: str       # the BCP 47 tag pages carry (tsunagi.web.i18n.html_lang)
    family: str
    package: str    # on the npm registry, SIL OFL 1.1
    subsets: tuple[str, ...]

    @property
    def directory(self) -> str:
        # The version is in the path, so a file's address never changes its content and
        # browsers may keep it forever (tsunagi.web.security).
        return f"{self.package.rsplit('/', 1)[1]}-{VERSION}"

    @property
    def stylesheet(self) -> str:
        return f"{self.directory}.css"


FONTS = (
    Font("ja", "Noto Sans JP", "@fontsource/noto-sans-jp", (NUMBERED,)),
    Font("zh-Hans", "Noto Sans SC", "@fontsource/noto-sans-sc", (NUMBERED,)),
    Font("zh-Hant", "Noto Sans TC", "@fontsource/noto-sans-tc", (NUMBERED,)),
    Font("ko", "Noto Sans KR", "@fontsource/noto-sans-kr", (NUMBERED,)),
    Font("ne", "Noto Sans Devanagari", "@fontsource/noto-sans-devanagari", ("devanagari",)),
    Font("th", "Noto Sans Thai", "@fontsource/noto-sans-thai", ("thai",)),
    Font("my", "Noto Sans Myanmar", "@fontsource/noto-sans-myanmar", ("myanmar",)),
)


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    file: str                               # relative to FONTS_DIR
    ranges: tuple[tuple[int, int], ...]

    def covers(self, char: str) -> bool:
        point = ord(char)
        return any(low <= point <= high for low, high in self.ranges)


def font_for(lang: str) -> Font | None:
    """The font of a page or element language ("ja", "ja-Latn", "zh-Hant"), as CSS
    `:lang()` matches it (by prefix); None when the language is written in Latin."""
    lang = lang.lower()
    for font in FONTS:
        tag = font.lang.lower()
        if lang == tag or lang.startswith(tag + "-"):
            return font
    return None


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in text.split(","):
        part = part.strip().removeprefix("U+")
        low, _, high = part.partition("-")
        if "?" in low:
            low, high = low.replace("?", "0"), low.replace("?", "F")
        ranges.append((int(low, 16), int(high or low, 16)))
    return tuple(ranges)


FACE = re.compile(r"@font-face\s*\{(.*?)\}", re.S)
PROPERTY = re.compile(r"([a-z-]+)\s*:\s*([^;]+);")
URL = re.compile(r"url\(['\"]?([^'\")]+)['\"]?\)")


def parse_faces(css: str) -> list[Face]:
    """The @font-face rules of a stylesheet: family, weight, WOFF2 file, unicode ranges."""
    faces = []
    for block in FACE.findall(css):
        props = dict(PROPERTY.findall(block))
        files = [u for u in URL.findall(props["src"]) if u.endswith(".woff2")]
        faces.append(Face(props["font-family"].strip().strip("'\""), int(props["font-weight"]),
                          files[0].removeprefix("./"), _ranges(props["unicode-range"])))
    return faces


@lru_cache(maxsize=1)
def faces() -> tuple[Face, ...]:
    """The faces of every family's generated stylesheet."""
    return tuple(face for font in FONTS for face in parse_faces((FONTS_DIR / font.stylesheet).read_text(encoding="utf-8")))


def files_for(text: str, lang: str, weights: tuple[int, ...] = WEIGHTS) -> list[str]:
    """The font files a browser fetches to draw `text` in language `lang` (each face whose
    unicode range holds one of its characters), relative to FONTS_DIR; [] for Latin."""
    font = font_for(lang)
    if font is None:
        return []
    chars = set(text)
    return [face.file for face in faces()
            if face.family == font.family and face.weight in weights and any(face.covers(c) for c in chars)]


# What the system's Latin fonts draw (--latin in kiosk.css): Latin letters with their
# accents (Vietnamese too), general punctuation (“ ” … ·), currency signs.
LATIN = ((0x0000, 0x024F), (0x0300, 0x036F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF))


def uncovered(text: str, lang: str) -> set[str]:
    """The characters of `text` that neither `lang`'s web font nor a Latin font draws."""
    font = font_for(lang)
    family = [f for f in faces() if font and f.family == font.family and f.weight == WEIGHTS[0]]
    return {c for c in set(text) if not c.isspace() and not any(lo <= ord(c) <= hi for lo, hi in LATIN)
            and not any(f.covers(c) for f in family)}


@lru_cache(maxsize=None)
def locale_files(locale: str) -> tuple[str, ...]:
    """The font files that draw every text of `locale`'s catalog and its language name:
    what a page in `locale` may fetch, short of names and what a person typed."""
    return tuple(files_for(catalog_text(locale) + LOCALES[locale], html_lang(locale)))


@lru_cache(maxsize=1)
def stylesheet_version() -> str:
    """Changes with any generated stylesheet, so their addresses may be cached as
    immutable like the fonts' (tsunagi.web.security)."""
    digest = hashlib.sha256()
    for path in sorted(FONTS_DIR.glob("*.css")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def stylesheet_names(lang: str, official_names: bool = False) -> list[str]:
    """The generated stylesheets a page in language `lang` links, relative to FONTS_DIR;
    with `official_names`, the page shows Japanese names (an office's, a place's) too."""
    names = [STYLESHEET]
    for font in (font_for(OFFICIAL_LANG) if official_names else None, font_for(lang)):
        if font and font.stylesheet not in names:
            names.append(font.stylesheet)
    return names


def stylesheets(lang: str | None = None, official_names: bool = False) -> list[str]:
    """The addresses of the font stylesheets a page links, with their version; `lang`:
    the page's language (default: the request's locale)."""
    return [url_for("static", filename=f"fonts/{name}", v=stylesheet_version())
            for name in stylesheet_names(lang or html_lang(get_locale()), official_names)]


def init_app(app: Flask) -> None:
    app.jinja_env.globals["font_stylesheets"] = stylesheets


# --- building the files (script/build-fonts) ----------------------------------------------

def _wanted(name: str, font: Font, weight: int) -> bool:
    # fontsource names a file "<package>-<n>-<weight>-normal" (a CJK piece) or
    # "<package>-<subset>-<weight>-normal" ("noto-sans-thai-latin-ext-400-normal").
    subset = name.removeprefix(font.package.rsplit("/", 1)[1] + "-").removesuffix(f"-{weight}-normal")
    return (NUMBERED in font.subsets and subset.isdigit()) or subset in font.subsets


HEADER = ("/* Generated by script/build-fonts from the @fontsource packages (SIL Open Font License 1.1,\n"
          "   see the LICENSE beside each font): do not edit. */\n")


def _write(name: str, lines: list[str]) -> None:
    (FONTS_DIR / name).write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def _rule(font: Font, weight: int, file: str, ranges) -> str:
    ranges = ",".join(f"U+{low:X}" if low == high else f"U+{low:X}-{high:X}" for low, high in ranges)
    return (f"@font-face {{ font-family: '{font.family}'; font-style: normal; font-display: swap; "
            f"font-weight: {weight}; src: url({file}) format('woff2'); unicode-range: {ranges}; }}")


def _names_stylesheet(blocks: dict[Font, list[str]]) -> list[str]:
    """fonts.css: the :lang() rules, and faces cut to the characters of each language's
    own name (the language choices show every one; the whole pieces that hold them weigh
    some 370 KB)."""
    from fontTools import subset  # the "fonts" extra: only script/build-fonts needs it

    lines = [f':lang({font.lang}) {{ font-family: "{font.family}", var(--latin); }}' for font in FONTS]
    for font, rules in blocks.items():
        names = {c for code, label in LOCALES.items() if font_for(html_lang(code)) == font for c in label} - {" "}
        for rule in rules:
            face = parse_faces(rule)[0]
            chars = sorted(c for c in names if face.covers(c))
            if face.weight != WEIGHTS[0] or not chars:
                continue  # the names are not bold: a bold one is drawn from these
            options = subset.Options()
            options.flavor, options.layout_features, options.name_IDs = "woff2", ["*"], ["*"]
            cut = subset.load_font(str(FONTS_DIR / face.file), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[ord(c) for c in chars])
            subsetter.subset(cut)
            name = f"{font.directory}/names-{Path(face.file).name}"
            subset.save_font(cut, str(FONTS_DIR / name), options)
            lines.append(_rule(font, face.weight, name, [(ord(c), ord(c)) for c in chars]))
    return lines


def build(workdir: Path) -> None:
    """Fetch every package of FONTS with `npm pack` into `workdir` and rewrite FONTS_DIR:
    the wanted WOFF2 files of WEIGHTS, each package's LICENSE, one stylesheet per family
    and fonts.css."""
    if FONTS_DIR.exists():
        shutil.rmtree(FONTS_DIR)
    FONTS_DIR.mkdir(parents=True)
    blocks: dict[Font, list[str]] = {}
    for font in FONTS:
        rules = blocks[font] = []
        spec = f"{font.package}@{VERSION}"
        tgz = subprocess.run(["npm", "pack", "--silent", spec], cwd=workdir, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        unpacked = workdir / font.directory
        with tarfile.open(workdir / tgz) as archive:
            archive.extractall(unpacked, filter="data")
        package = unpacked / "package"
        target = FONTS_DIR / font.directory
        target.mkdir()
        shutil.copy(package / "LICENSE", target / "LICENSE")
        for weight in WEIGHTS:
            for block in FACE.findall((package / f"{weight}.css").read_text(encoding="utf-8")):
                face = parse_faces("@font-face {" + block + "}")[0]
                if not _wanted(Path(face.file).stem, font, weight):
                    continue
                name = Path(face.file).name
                shutil.copy(package / "files" / name, target / name)
                rules.append(_rule(font, weight, f"{font.directory}/{name}", face.ranges))
        _write(font.stylesheet, rules)
    _write(STYLESHEET, _names_stylesheet(blocks))
    faces.cache_clear()
    stylesheet_version.cache_clear()
    total = sum(p.stat().st_size for p in FONTS_DIR.rglob("*.woff2"))
    print(f"{sum(map(len, blocks.values()))} faces, {total / 1024 / 1024:.1f} MB of WOFF2 in {FONTS_DIR}")


def main(argv: list[str]) -> int:
    if argv[:1] != ["build"]:
        print("usage: python -m tsunagi.web.fonts build", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
