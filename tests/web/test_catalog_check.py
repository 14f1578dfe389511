"""The catalog check's rules beyond completeness (script/check-translations): msgctxt for
ambiguous answers, no text built by joining, やさしい日本語 to the mechanical rules of the
2020 guideline, every municipality name rendered; and Thai dates in the Buddhist era.
Every test works on copies (tmp paths), never on the shipped catalogs."""
from __future__ import annotations

import io
import re
import shutil
from datetime import date, datetime

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from forms.extract import FACT, PERMISSION, extract_yaml
from tests.web.test_translations import edit
from tsunagi.domain import municipality
from tsunagi.web.dates import buddhist_pattern, resident_date, resident_datetime
from tsunagi.web.translations import (
    EASY,
    POT,
    TRANSLATIONS,
    concatenation_problems,
    context_problems,
    easy_japanese_problems,
    easy_problems,
    municipality_problems,
    problems,
    python_concatenations,
    template_concatenations,
)


def set_easy(catalogs, msgid, text):
    def change(catalog):
        catalog.get(msgid).string = text
    edit(catalogs, EASY, change)


# --- msgctxt -------------------------------------------------------------------------

def test_a_yes_without_context_fails_and_with_one_passes():
    template = Catalog()
    template.add("Yes", locations=[("kiosk/templates/kiosk/x.html", None)])
    template.add("Change", context="button: change the answers of this step")
    found = context_problems(template)
    assert len(found) == 1 and "'Yes' has no msgctxt" in found[0] and "kiosk/templates/kiosk/x.html" in found[0]
    template.delete("Yes")
    template.add("Yes", context=FACT)
    assert context_problems(template) == []


def test_the_check_reports_a_bare_yes_in_the_template(catalogs):
    pot = catalogs / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + '\n#: somewhere.html\nmsgid "Check"\nmsgstr ""\n',
                   encoding="utf-8")
    assert any("'Check' has no msgctxt (used in somewhere.html)" in p for p in problems(catalogs))


def test_the_shipped_template_keeps_fact_and_permission_apart():
    with POT.open("rb") as f:
        template = read_po(f)
    for answer in ("Yes", "No"):
        assert template.get(answer, context=FACT) is not None
        assert template.get(answer, context=PERMISSION) is not None
    assert template.get("Check", context="button: look up the consultation of this receipt code") is not None
    assert template.get("Change", context="button: change the answers of this step") is not None
    th = TRANSLATIONS / "th" / "LC_MESSAGES" / "messages.po"
    with th.open("rb") as f:
        thai = read_po(f)
    # "Yes, it is" and "I agree" are different words in Thai.
    assert thai.get("Yes", context=FACT).string != thai.get("Yes", context=PERMISSION).string


def test_form_spec_yes_and_no_are_extracted_as_facts():
    spec = b"steps:\n  - id: s\n    title: Safety\n    questions:\n      - id: q\n        label: Is it so?\n" \
           b"        choices:\n          - {value: 'yes', label: 'Yes'}\n          - {value: x, label: Not sure}\n"
    found = list(extract_yaml(io.BytesIO(spec), [], [], {}))
    yes = [m for m in found if m[1] == "pgettext"]
    assert len(yes) == 1 and yes[0][2] == (FACT, "Yes") and yes[0][3]
    assert {m[2] for m in found if m[1] is None} == {"Safety", "Is it so?", "Not sure"}


def test_the_kiosk_asks_facts_and_permission_in_their_own_words(client, demo):
    from tests.kiosk_helpers import Journey

    journey = Journey(client, locale="th")
    url = journey.start()
    about = journey.submit(url, {"subject": "self", "age_band": "18_39"})
    pregnancy = client.get(about.headers["Location"])
    assert "ใช่" in pregnancy.text and "ยินยอม" not in pregnancy.text
    consent = Journey(client, locale="th").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"},
        stop_at_consent=True)
    assert "ยินยอม" in consent.text and "ไม่ยินยอม" in consent.text


# --- concatenation -------------------------------------------------------------------

def test_a_label_followed_by_a_value_in_a_template_fails():
    assert template_concatenations('<p>{{ _("Seconds left:") }} <span class="count">{{ n }}</span></p>')
    assert template_concatenations('{{ _("Office:") }} {{ office }}')
    assert template_concatenations('{{ _("Hello") ~ name }}')


def test_one_msgid_with_a_placeholder_passes():
    assert template_concatenations('<p>{{ _("Seconds left: %(seconds)s", seconds=n) }}</p>') == []
    # A label, then a sentence of its own, is no concatenation.
    assert template_concatenations('{{ _("Office:") }} {{ _("North") }}') == []
    # A code stands apart from the sentence (read out character by character).
    assert template_concatenations('{{ _("Your code:") }} <strong class="code">{{ code }}</strong>') == []


def test_joining_translated_text_in_python_fails():
    assert python_concatenations('x = _("Seconds left:") + " " + str(n)')
    assert python_concatenations('x = f"{gettext(\'Seconds left:\')} {n}"')
    assert python_concatenations('x = "Dear " + _l("resident")')
    assert python_concatenations('x = gettext("Seconds left: %(seconds)s", seconds=n)') == []
    # A term looked up by its code may stand beside a name.
    assert python_concatenations('x = f"{name} ({gettext(SERVICES[code])})"') == []


def test_the_sources_have_no_concatenation():
    assert concatenation_problems() == []


def test_the_countdown_is_one_sentence_with_the_number_inside(client, demo):
    page = client.get("/k/lib-chuo/ja/")
    assert page.status_code == 200
    assert '残り <span id="idle-count" class="count">' in page.text
    assert "Seconds left" not in page.text


# --- やさしい日本語 -------------------------------------------------------------------

def test_a_double_negative_fails():
    assert any("double negative" in p for p in easy_problems("あなたが 同意（どうい）しないと、どこにも おくりません。"))
    assert any("double negative" in p for p in easy_problems("かみを もって こなければ なりません。"))
    assert not any("double negative" in p for p in easy_problems("あなたが 同意（どうい）した ときだけ、おくります。"))
    # A negative, then a reason, is not a double negative.
    assert not any("double negative" in p for p in easy_problems("同意（どうい）して いないので、きろく できません。"))


def test_a_double_negative_in_the_catalog_fails(catalogs):
    set_easy(catalogs, "Nothing is sent without your agreement.", "あなたが 同意（どうい）しないと、どこにも おくりません。")
    found = easy_japanese_problems(catalogs)
    assert len(found) == 1 and "double negative" in found[0] and "Nothing is sent" in found[0]


def test_an_over_long_sentence_fails_and_readings_do_not_count(catalogs):
    forty = "あ" * 39 + "。"
    assert easy_problems(forty) == []
    assert any("41 characters" in p for p in easy_problems("あ" * 40 + "。"))
    # Readings in brackets and spaces are not counted; two short sentences are fine.
    assert easy_problems("相談（そうだん）" * 10 + " " * 30 + "。" + "い" * 30 + "。") == []
    set_easy(catalogs, "Nothing is sent without your agreement.",
             "あなたが 同意（どうい）した ときだけ、あなたの こたえに いちばん よく あう 窓口（まどぐち）の ひとつに おくります。")
    assert any("sentence of" in p for p in easy_japanese_problems(catalogs))


def test_a_particle_split_from_its_word_fails(catalogs):
    assert any("'の' split" in p for p in easy_problems("あなた の こたえ"))
    assert any("'を' split" in p for p in easy_problems("相談（そうだん） を きく"))
    assert any("'します' split" in p for p in easy_problems("相談（そうだん） します。"))
    assert any("'できます' split" in p for p in easy_problems("連絡（れんらく） できます。"))
    assert easy_problems("あなたの こたえを 相談（そうだん）します。") == []
    set_easy(catalogs, "Nothing is sent without your agreement.", "あなた が 同意（どうい）した ときだけ、おくります。")
    found = easy_japanese_problems(catalogs)
    assert len(found) == 1 and "'が' split" in found[0]


def test_the_shipped_easy_japanese_passes_and_explains_agreement():
    assert easy_japanese_problems() == []
    with (TRANSLATIONS / EASY / "LC_MESSAGES" / "messages.po").open("rb") as f:
        easy = read_po(f)
    assert "「いいです」と いう こと" in easy.get("Nothing is sent without your agreement.").string


# --- municipality --------------------------------------------------------------------

def test_a_missing_municipality_translation_fails_the_check(catalogs, tmp_path):
    copy = tmp_path / "municipalities"
    shutil.copytree(municipality.DEMO_FILE.parent, copy)
    demo = copy / municipality.DEMO_FILE.name
    assert municipality_problems(demo) == []
    lines = demo.read_text(encoding="utf-8").splitlines(keepends=True)
    district = lines.index("  - code: kita\n")
    thai = next(i for i in range(district, len(lines)) if lines[i].startswith("      th: "))
    demo.write_text("".join(lines[:thai] + lines[thai + 1:]), encoding="utf-8")
    found = municipality_problems(demo)
    assert len(found) == 1 and "no th rendering of" in found[0] and "kita.name" in found[0]
    assert found[0] in problems(catalogs, municipality_file=demo)


# --- Thai dates ----------------------------------------------------------------------

def test_buddhist_era_patterns():
    assert buddhist_pattern("d MMMM G y", 2026) == "d MMMM 'พ.ศ.' '2569'"
    assert buddhist_pattern("d/M/yy", 2026) == "d/M/'69'"
    assert buddhist_pattern("EEEEที่ d MMMM G y", 2026) == "EEEEที่ d MMMM 'พ.ศ.' '2569'"


def test_thai_residents_read_dates_in_the_buddhist_era(app):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("th"):
            assert resident_date(date(2026, 12, 3), "long") == "3 ธันวาคม พ.ศ. 2569"
            assert resident_date(date(2026, 12, 3), "short") == "3/12/69"
            assert resident_datetime(datetime(2026, 1, 5, 9, 30), "short") == "5/1/69 09:30 น."
        with force_locale("en"):
            assert resident_date(date(2026, 12, 3), "long") == "December 3, 2026"
        with force_locale("ja"):
            assert resident_date(date(2026, 12, 3), "long") == "2026年12月3日"


def test_the_thai_receipt_is_dated_in_the_buddhist_era(client, demo):
    from tests.kiosk_helpers import Journey

    receipt = Journey(client, locale="th").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"},
        {"name": "Somchai", "phone": "090-1234-5678"})
    assert receipt.status_code == 200
    year = datetime.now().year + 543
    assert f"พ.ศ. {year}" in receipt.text and "ค.ศ." not in receipt.text


# --- resident-facing reasons ---------------------------------------------------------

def test_residents_read_plain_reasons_and_staff_keep_the_terms(client, demo):
    from tests.kiosk_helpers import Journey

    team = {"subject": "self", "age_band": "40_64", "pregnant": "no", "concerns": ["isolation"],
            "household": ["elderly_65_plus"],
            "danger_now": "no", "area": "kita"}
    consent = Journey(client, locale="ja").answer_all(team, stop_at_consent=True)
    assert consent.status_code == 200
    # The office's official name may say 多機関協働; the reasons say what happens, in plain words.
    reasons = re.search(r'<ul class="reasons">(.*?)</ul>', consent.text, re.S).group(1)
    assert "ご家族全体への支援" in reasons
    for term in ("8050", "ひきこもり", "ヤングケアラー", "ダブルケア", "多機関協働"):
        assert term not in reasons

    from tsunagi.domain.triage.reasons import REASON_TEXTS, RESIDENT_TEXTS, for_residents

    assert set(RESIDENT_TEXTS) <= set(REASON_TEXTS)
    staff = {"code": "rule_8050"}
    from tsunagi.domain.triage.reasons import render_reason

    assert render_reason(staff, lambda m: m).startswith("8050")
    assert render_reason(staff, for_residents(lambda m: m)).startswith("Help for the whole family")


# --- wording -------------------------------------------------------------------------

# The word that made "received" and "accepted" read the same in each of these locales.
SHARED_WORD = {"ja": "受け付け", "ja@easy": "うけつけ", "zh_Hans": "受理", "zh_Hant": "受理", "vi": "tiếp nhận",
               "id": "diterima", "th": "ได้รับเรื่อง", "my": "လက်ခံ"}


@pytest.mark.parametrize("locale", sorted(SHARED_WORD))
def test_received_and_accepted_read_differently(locale):
    from tsunagi.domain.vocabulary import STATUS_TEXTS

    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    received = catalog.get(STATUS_TEXTS["received"]).string
    accepted = catalog.get(STATUS_TEXTS["accepted"]).string
    assert received and accepted and SHARED_WORD[locale] not in accepted


def test_the_burmese_domestic_violence_line_is_for_consulting():
    with (TRANSLATIONS / "my" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        burmese = read_po(f)
    line = burmese.get("Domestic violence hotline").string
    assert "တိုင်ပင်" in line and "တိုင်ကြား" not in line
