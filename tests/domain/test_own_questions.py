"""A municipality's own questions (its data file's `questions:`): validated with the file,
accepted in the answers with their choices only, readable by the rules, checked at load."""
from __future__ import annotations

import pytest
import yaml

from tsunagi.domain import ROOT, municipality
from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.triage.answers import InvalidAnswers, OwnQuestion, validate_answers
from tsunagi.domain.triage.decide import decide
from tsunagi.domain.triage.rules import load_policy

DEMO_RULES = ROOT / "municipalities" / "demo-rules.yaml"
BASE = {"subject": "self", "age_band": "18_39", "concerns": ["work"], "danger_now": "no"}
OWN = (OwnQuestion("interpreter", "choice", ("yes", "no")),
       OwnQuestion("languages", "multi_choice", ("en", "vi", "ne")),
       OwnQuestion("nickname", "short_text", max_length=20))


def demo_data() -> dict:
    return yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))


def write(tmp_path, data, name="city.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_demo_file_asks_whether_an_interpreter_is_needed():
    spec = municipality.load_file(municipality.DEMO_FILE)
    assert spec.own_questions() == (OwnQuestion("interpreter", "choice", ("yes", "no")),)
    question = spec.questions[0]
    assert question.label.ja == "通訳が必要ですか" and question.step == "contact"
    assert municipality.question_text(question.label, "vi") == "Bạn có cần thông dịch viên không?"
    assert municipality.question_text(question.label, "ja@easy").startswith("つうやく")


def test_answers_take_the_municipality_keys_with_their_choices_only():
    parsed = validate_answers({**BASE, "interpreter": "yes", "languages": ["vi", "ne"], "nickname": "Mai"},
                              None, OWN)
    assert parsed.own == {"interpreter": "yes", "languages": frozenset({"vi", "ne"})}
    # The short text may identify the resident: not in the record kept without consent.
    assert parsed.as_record()["interpreter"] == "yes" and parsed.as_record()["languages"] == ["ne", "vi"]
    assert "nickname" not in parsed.as_record() and parsed.identifying_record() == {"nickname": "Mai"}
    with pytest.raises(InvalidAnswers) as wrong:
        validate_answers({**BASE, "interpreter": "maybe", "languages": ["fr"], "nickname": "x" * 21}, None, OWN)
    assert set(wrong.value.errors) == {"interpreter", "languages", "nickname"}
    assert "yes, no" in wrong.value.errors["interpreter"]
    # Without the municipality's questions the key is unknown, as any other.
    with pytest.raises(InvalidAnswers) as unknown:
        validate_answers({**BASE, "interpreter": "yes"})
    assert unknown.value.errors == {"interpreter": "unknown question"}


def test_a_required_own_question_must_be_answered():
    required = (OwnQuestion("interpreter", "choice", ("yes", "no"), required=True),)
    with pytest.raises(InvalidAnswers) as missing:
        validate_answers(BASE, None, required)
    assert missing.value.errors == {"interpreter": "required"}


def test_the_demo_rule_flags_an_interpreter_without_changing_the_routing():
    policy = load_policy(DEMO_RULES, OWN[:1])
    default = load_policy()
    needs = validate_answers({**BASE, "interpreter": "yes"}, None, OWN[:1])
    fine = validate_answers({**BASE, "interpreter": "no"}, None, OWN[:1])
    flagged, plain = decide(needs, [], policy=policy), decide(fine, [], policy=policy)
    assert "needs_interpreter" in flagged.signals and "needs_interpreter" in [r.code for r in flagged.reasons]
    assert "needs_interpreter" not in plain.signals
    before = decide(validate_answers(BASE), [], policy=default)
    assert (flagged.service, flagged.rule, flagged.priority) == (before.service, before.rule, before.priority)


def test_a_rule_naming_an_unknown_question_or_choice_fails_with_file_and_line(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: x\nextends: default\nsignals:\n  lang:\n    when: {answer: interpretr, in: [\"yes\"]}\n",
                     encoding="utf-8")
    with pytest.raises(DataFileError) as unknown:
        load_policy(rules, OWN)
    assert f"{rules}: signals.lang.when (line 5): unknown answer key 'interpretr'" in str(unknown.value)
    assert "interpreter" in str(unknown.value)  # the known keys include the municipality's
    rules.write_text("version: x\nextends: default\nsignals:\n  lang:\n    when: {answer: interpreter, in: [\"si\"]}\n",
                     encoding="utf-8")
    with pytest.raises(DataFileError) as choice:
        load_policy(rules, OWN)
    assert "(line 5): answer 'interpreter' has no choice 'si' (choices: yes, no)" in str(choice.value)


def test_no_rule_may_read_a_short_text(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: x\nextends: default\nsignals:\n  nick:\n    when: {answer: nickname, in: [Mai]}\n",
                     encoding="utf-8")
    with pytest.raises(DataFileError) as text:
        load_policy(rules, OWN)
    assert "(line 5): answer 'nickname' is the municipality's short-text question" in str(text.value)


def test_a_rule_on_an_own_choice_that_can_never_fire_is_found(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: x\nextends: default\nreasons:\n  r: {ja: 理由}\nrules:\n"
        "  - {id: a, when: {answer: interpreter, in: [\"yes\", \"no\"]}, service: jiritsu, reason: r}\n"
        "  - {id: b, when: {answer: interpreter, in: [\"yes\"]}, service: kodomo, reason: r}\n",
        encoding="utf-8")
    with pytest.raises(DataFileError) as never:
        load_policy(rules, OWN)
    assert "rules[1].id (line 7): rule 'b' can never fire" in str(never.value)


@pytest.mark.parametrize(("change", "where", "message"), [
    (lambda q: q.update(id="danger_now"), "questions[0]", "one of the form's own keys"),
    (lambda q: q.update(type="short_text"), "questions[0]", "a short_text question has no choices"),
    (lambda q: q.update(choices=q["choices"][:1]), "questions[0]", "at least two choices"),
    (lambda q: q["choices"][1].update(value="yes"), "questions[0].choices[1].value", "the choice 'yes' twice"),
    (lambda q: q.update(type="yes_no"), "questions[0].type", "'choice', 'multi_choice' or 'short_text'"),
])
def test_a_malformed_question_names_the_file_the_question_and_the_line(tmp_path, change, where, message):
    data = demo_data()
    change(data["questions"][0])
    path = write(tmp_path, data)
    with pytest.raises(DataFileError) as error:
        municipality.load_file(path)
    text = str(error.value)
    assert f"{path}: {where} (line " in text and message in text


def test_missing_translations_of_a_question_are_listed_per_locale(tmp_path):
    data = demo_data()
    del data["questions"][0]["label"]["th"]
    del data["questions"][0]["choices"][1]["label"]["my"]
    missing = municipality.missing_translations(municipality.load_file(write(tmp_path, data)))
    assert missing == {"th": ["question interpreter.label"], "my": ["question interpreter.choice no"]}
