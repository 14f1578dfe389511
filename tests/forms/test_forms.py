"""Form specs as data: a malformed or untranslated spec stops start-up naming the file and
the question; an edited label shows after a restart without code changes."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from forms.spec import FORMS_DIR, load_form, load_form_file
from tests.kiosk_helpers import Journey
from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.models import Intake
from tsunagi.web.i18n import MissingTranslations

DEFAULT = FORMS_DIR / "intake-default.yaml"


def edited(tmp_path, *replacements: tuple[str, str]):
    """A copy of the default intake spec in its own forms directory, with each `old`
    replaced by `new` (each must occur once)."""
    text = DEFAULT.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    directory = tmp_path / "forms"
    directory.mkdir(exist_ok=True)
    path = directory / "intake-default.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_default_spec_has_the_canonical_answers():
    spec = load_form()
    ids = [q.id for q in spec.questions()]
    assert ids[:7] == ["subject", "age_band", "pregnant", "concerns", "household", "danger_now", "area"]
    concerns = next(q for q in spec.questions() if q.id == "concerns")
    assert "violence" in [c.value for c in concerns.choices] and len(concerns.choices) == 17


MALFORMED = [
    pytest.param((("        type: phone", "        type: telephone"),),
                 ["steps[6].questions[1].type", "question 'phone' has unknown type 'telephone'"],
                 "type: telephone", id="unknown type"),
    pytest.param((("      - id: email", "      - id: phone"),),
                 ["steps[6].questions[2].id", "question id 'phone' appears twice"],
                 "- id: phone\n", id="duplicate question id"),
    pytest.param((("show_if: {age_band: [", "show_if: {agebracket: ["),),
                 ["steps[1].show_if.agebracket", "step 'pregnancy'", "question 'agebracket'",
                  "which this form does not ask"],
                 "agebracket", id="condition on a question that does not exist"),
    pytest.param((("show_if: {age_band: [", "show_if: {danger_now: ["),),
                 ["steps[1].show_if.danger_now", "question 'danger_now', which no earlier step asks"],
                 "danger_now: [", id="condition on a later question"),
    pytest.param((('show_if: {age_band: ["6_17"', 'show_if: {age_band: ["6-17"'),),
                 ["steps[1].show_if.age_band", "'6-17', not among its choices"],
                 "show_if", id="condition on a value no choice has"),
    pytest.param((("{value: school, label: School}", "{value: money, label: School}"),),
                 ["steps[2].questions[0].choices[5].value", "question 'concerns' has the choice value 'money' twice"],
                 "label: Money or debt}", id="duplicate choice value"),
    pytest.param((("{value: food, label: Food}", "{value: food, label: ''}"),),
                 ["steps[2].questions[0].choices[8].label", "at least 1 character"],
                 "value: food", id="empty choice label"),
]


@pytest.mark.parametrize("replacements, says, line_text", MALFORMED)
def test_malformed_spec_names_file_question_and_line(tmp_path, replacements, says, line_text):
    path = edited(tmp_path, *replacements)
    with pytest.raises(DataFileError) as caught:
        load_form_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for text in says:
        assert text in message, message
    found = int(re.search(r"\(line (\d+)\)", message).group(1))
    if line_text == "- id: phone\n":  # the second one
        assert found == [i for i, line in enumerate(path.read_text().splitlines(), 1)
                         if line.endswith("- id: phone")][1]
    else:
        assert found == line_of(path, line_text)


def test_malformed_spec_stops_start_up(make_app, tmp_path):
    path = edited(tmp_path, ("        type: phone", "        type: telephone"))
    with pytest.raises(DataFileError, match=r"question 'phone' has unknown type 'telephone'") as caught:
        make_app({"TESTING": True, "FORMS_DIR": str(path.parent)})
    assert str(path) in str(caught.value)


def test_forms_directory_without_the_kiosk_form_stops_start_up(make_app, tmp_path):
    with pytest.raises(DataFileError, match="intake-default.yaml: cannot read"):
        make_app({"TESTING": True, "FORMS_DIR": str(tmp_path)})


def test_choice_label_without_translation_stops_start_up(make_app, tmp_path):
    path = edited(tmp_path, ("{value: food, label: Food}", "{value: food, label: Food or meals}"))
    load_form_file(path)  # well-formed: only the catalogs lack the new text
    with pytest.raises(MissingTranslations) as caught:
        make_app({"TESTING": True, "FORMS_DIR": str(path.parent)})
    message = str(caught.value)
    assert f"{path}: steps[2].questions[0] question 'concerns': choice label 'Food or meals' has no ja translation" \
        in message, message


def test_step_title_without_translation_stops_start_up(make_app, tmp_path):
    path = edited(tmp_path, ("title: Household", "title: Your household"))
    with pytest.raises(MissingTranslations, match=r"steps\[3\] 'household': title 'Your household' has no ja"):
        make_app({"TESTING": True, "FORMS_DIR": str(path.parent)})


def test_edited_label_shows_after_a_restart_and_intakes_keep_the_version(make_app, session, demo, tmp_path):
    # A municipality renames a question (to a text its catalogs translate) and bumps the version.
    path = edited(tmp_path, ("label: Email address", "label: Email"), ("version: 2\n", "version: 3\n"))
    before = make_app({"TESTING": True}).test_client()
    after = make_app({"TESTING": True, "FORMS_DIR": str(path.parent)}).test_client()

    def contact_labels(client, locale):
        url = Journey(client, locale=locale).start()
        for step, data in [("about", {"subject": "self", "age_band": "65_plus"}),
                           ("concerns", {"concerns": ["health"]}), ("household", {}),
                           ("safety", {"danger_now": "no"}), ("area", {"area": "kita"})]:
            assert step in url
            url = Journey(client, locale=locale).submit(url, data).headers["Location"]
        html = client.get(url).text
        return re.findall(r'<label for="(?:name|phone|email|free_text)">([^<]+)</label>', html)

    assert contact_labels(before, "en")[2] == "Email address"
    assert contact_labels(after, "en")[2] == "Email"
    assert contact_labels(after, "ja")[2] == "メール"
    assert contact_labels(before, "ja")[2] == "メールアドレス"

    journey = Journey(after)
    receipt = journey.answer_all({"subject": "self", "age_band": "65_plus", "concerns": ["health"],
                                  "danger_now": "no", "area": "kita"})
    assert receipt.status_code == 200
    intake = session.scalar(select(Intake))
    assert (intake.form_id, intake.form_version) == ("intake-default", 3)


def test_spec_copy_with_nothing_changed_is_valid(tmp_path):
    path = tmp_path / "intake-default.yaml"
    shutil.copy(DEFAULT, path)
    assert load_form_file(path) == load_form()


def test_old_form_versions_stay_readable(app, session, make_intake, provider_users, tmp_path):
    """An intake answered with version 1 shows its labels after the form moved to version 2."""
    import shutil

    from forms.spec import FORMS_DIR, load_form_file
    from tsunagi.web.present import answers_ja

    intake = make_intake().intake
    forms = tmp_path / "forms"
    (forms / "archive").mkdir(parents=True)
    shutil.copy(FORMS_DIR / "archive" / "intake-default.v1.yaml", forms / "archive" / "intake-default.v1.yaml")
    shutil.copy(FORMS_DIR / "intake-default.yaml", forms / "archive" / "intake-default.v2.yaml")
    text = (FORMS_DIR / "intake-default.yaml").read_text(encoding="utf-8").replace("version: 2\n", "version: 3\n", 1)
    (forms / "intake-default.yaml").write_text(text, encoding="utf-8")
    app.config["FORMS_DIR"] = str(forms)
    load_form_file.cache_clear()
    with app.app_context():
        rows = dict(answers_ja(intake))
        assert rows["その人は何歳ですか。"] == "65歳以上"
        (forms / "archive" / "intake-default.v1.yaml").unlink()
        load_form_file.cache_clear()
        assert dict(answers_ja(intake))["age_band"] == "65_plus"  # raw, but never lost
