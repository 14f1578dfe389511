"""The catalog check that script/test runs: stale, empty, fuzzy or broken catalogs fail."""
from __future__ import annotations

from babel.messages.pofile import read_po, write_po

from tsunagi.web.translations import problems


def edit(catalogs, locale, change):
    path = catalogs / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    change(catalog)
    with path.open("wb") as f:
        write_po(f, catalog)


def test_the_shipped_catalogs_pass(catalogs):
    assert problems(catalogs) == []


def test_an_empty_entry_fails(catalogs):
    edit(catalogs, "ko", lambda c: setattr(c.get("Next"), "string", ""))
    assert any("ko" in p and "empty" in p for p in problems(catalogs))


def test_a_fuzzy_entry_fails(catalogs):
    edit(catalogs, "vi", lambda c: c.get("Next").flags.add("fuzzy"))
    assert any("vi" in p and "fuzzy" in p for p in problems(catalogs))


def test_a_missing_msgid_fails(catalogs):
    edit(catalogs, "th", lambda c: c.delete("Next"))
    assert any("th" in p and "missing" in p for p in problems(catalogs))


def test_a_stale_template_fails(catalogs):
    pot = catalogs / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8").replace('msgid "Next"', 'msgid "Onwards"'), encoding="utf-8")
    assert any("stale" in p for p in problems(catalogs))


def test_a_broken_format_fails(catalogs):
    edit(catalogs, "es", lambda c: setattr(c.get("Step %(n)s of %(t)s"), "string", "Paso %(n)d"))
    assert any("es" in p for p in problems(catalogs))


def test_a_japanese_text_changed_without_reviewing_its_readings_fails(catalogs):
    edit(catalogs, "ja", lambda c: setattr(c.get("Next"), "string", "次の質問へ"))
    assert any("furigana-readings.txt is stale" in p for p in problems(catalogs))


def test_a_readings_file_that_says_something_else_fails(catalogs):
    review = catalogs / "ja" / "furigana-readings.txt"
    text = review.read_text(encoding="utf-8")
    assert "受付票[うけつけひょう]" in text
    review.write_text(text.replace("受付票[うけつけひょう]", "受[じゅ]付票[ふひょう]"), encoding="utf-8")
    assert any("furigana-readings.txt is stale" in p for p in problems(catalogs))


def test_a_translation_that_does_not_use_the_glossary_term_fails(catalogs):
    edit(catalogs, "ja", lambda c: setattr(c.get("multi-agency team"), "string", "関係機関のチーム"))
    found = problems(catalogs)
    assert any("'multi-agency team'" in p and "多機関協働" in p and "/ja" in p for p in found), found


def test_a_glossary_term_without_a_rendering_for_a_locale_fails(catalogs):
    import yaml

    path = catalogs / "glossary.yaml"
    terms = yaml.safe_load(path.read_text(encoding="utf-8"))
    del terms["welfare office"]["ko"]
    path.write_text(yaml.safe_dump(terms, allow_unicode=True), encoding="utf-8")
    assert any("'welfare office' has no rendering for ko" in p for p in problems(catalogs))
