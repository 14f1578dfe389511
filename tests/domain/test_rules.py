"""Rules files: validated at load with file, rule and line; municipalities can extend them."""
from __future__ import annotations

import textwrap

import pytest

from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.triage.answers import validate_answers
from tsunagi.domain.triage.decide import ProviderInfo, decide
from tsunagi.domain.triage.rules import DEFAULT_FILE, load_policy

PROVIDERS = [ProviderInfo(i, s, s, (), True, ("ja",)) for i, s in
             enumerate(("houkatsu", "shogai", "kodomo", "jiritsu", "choson", "takikan"), start=1)]


def rules_file(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def broken_default(tmp_path, old: str, new: str):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    return rules_file(tmp_path, text.replace(old, new, 1))


@pytest.mark.parametrize(("old", "new", "where", "what"), [
    ("{answer: concerns, has: disability, reason: disability}",
     "{answer: worries, has: disability, reason: disability}", "domains.disability.when[0]", "unknown answer key 'worries'"),
    ('{answer: age_band, in: ["65_plus"], reason: elderly_age}',
     '{answer: age_band, in: ["70_plus"], reason: elderly_age}', "domains.elderly.when[0]", "no choice '70_plus'"),
    ("service: shogai", "service: kaigo", "domains.disability.service", "unknown service 'kaigo'"),
    ("service: takikan\n    reason: rule_8050", "service: welfare\n    reason: rule_8050", "rules[1].service",
     "unknown service 'welfare'"),
    ("present: [child, disability, elderly, poverty]}\n  - id", "present: [child, disablity, elderly, poverty]}\n  - id",
     "rules[0].first_contact[0].present", "unknown domain 'disablity'"),
    ("- {service: houkatsu}\n  - id: carer", "- {service: takikan}\n  - id: carer",
     "rules[1].first_contact[0].service", "cannot be 'takikan'"),
    ("- {service: houkatsu}\n  - id: carer", "- {service: houkatsu, present: [child]}\n  - id: carer",
     "rules[1].first_contact[0]", "exactly one of 'service', 'present'"),
    ("reason: rule_carer", "reason: rule_karer", "rules[2].reason", "unknown reason 'rule_karer'"),
    ('when: {signal: "8050"}', 'when: {signal: "8051"}', "rules[1].when", "unknown signal '8051'"),
    ("{answer: household, has: elderly_65_plus}", "{answer: household, in: [elderly_65_plus]}",
     "signals.8050.when", "takes many choices"),
    ("when: {domains_at_least: 2}", "when: {domains_at_least: 5}", "rules[0].id", "can never fire"),
    ("when: {domains_exactly: 1}, service: domain", "when: {domains_at_least: 0}, service: takikan",
     "fallback", "can never be reached"),
    ("when: {domains_at_least: 2}", "when: {domains_most: 2}", "rules[0].when", "a condition needs one of"),
])
def test_broken_rules_fail_with_file_rule_and_line(tmp_path, old, new, where, what):
    path = broken_default(tmp_path, old, new)
    with pytest.raises(DataFileError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message and where in message and what in message and "(line " in message


def test_a_team_rule_without_a_first_contact_is_refused(tmp_path):
    """A file of its own (no `extends`) must say where a team intake goes when the
    resident declines the meeting: a "yes, send" is never dropped."""
    path = rules_file(tmp_path, """
        version: own-1
        domains:
          elderly:
            service: houkatsu
            when: [{answer: age_band, in: ["65_plus"], reason: elderly_age}]
        rules:
          - {id: one, when: {domains_exactly: 1}, service: domain, reason: rule_single_domain}
        fallback: {id: none, service: takikan, reason: rule_no_domain}
    """)
    with pytest.raises(DataFileError, match=r"fallback.first_contact \(line \d+\): the fallback sends to 'takikan'"):
        load_policy(path)


def test_a_rule_shadowed_by_an_earlier_one_is_reported(tmp_path):
    path = rules_file(tmp_path, """
        version: shadow-1
        extends: default
        rules:
          - {id: all_isolation, when: {answer: concerns, has: isolation}, service: takikan, reason: rule_no_domain}
          - {id: isolated_8050, when: {all: [{answer: concerns, has: isolation}, {answer: age_band, in: ["40_64"]}]},
             service: houkatsu, reason: rule_8050}
    """)
    with pytest.raises(DataFileError, match=r"rules\[1\]\.id \(line \d+\): rule 'isolated_8050' can never fire"):
        load_policy(path)


def test_a_municipality_extends_the_default_with_its_own_signal_and_reason(tmp_path):
    path = rules_file(tmp_path, """
        version: tsunagi-city-2027.1
        extends: default
        reasons:
          foreign_paperwork: {ja: "外国籍の方の手続き支援", en: "Help with paperwork in a foreign language"}
        signals:
          paperwork_only:
            when: {all: [{answer: concerns, has: language_procedures}, {domains_exactly: 0}]}
        rules:
          - {id: paperwork, when: {signal: paperwork_only}, service: jiritsu, reason: foreign_paperwork}
    """)
    policy = load_policy(path)
    assert policy.version.startswith("tsunagi-city-2027.1+")
    a = validate_answers({"subject": "self", "age_band": "18_39", "danger_now": "no",
                          "concerns": ["language_procedures"]})
    d = decide(a, PROVIDERS, policy=policy)
    assert (d.service, d.rule) == ("jiritsu", "paperwork")
    assert "paperwork_only" not in [r.code for r in d.reasons]
    from tsunagi.domain.triage.reasons import render_reason

    reason = next(r for r in d.reasons if r.code == "foreign_paperwork")
    assert render_reason(reason, str, "en", policy.reason_texts) == "Help with paperwork in a foreign language"
    # the default rules still apply after the municipality's own
    b = validate_answers({"subject": "self", "age_band": "65_plus", "danger_now": "no"})
    assert decide(b, PROVIDERS, policy=policy).service == "houkatsu"


def test_changing_the_rules_changes_the_version(tmp_path):
    path = broken_default(tmp_path, "version: default-2026.1", "version: default-2026.1")
    same = load_policy(path)
    assert same.version == load_policy().version
    edited = broken_default(tmp_path, "reason: rule_no_domain\n", "reason: rule_no_domain  # edited\n")
    assert load_policy(edited).version != same.version


def test_app_start_up_stops_on_a_broken_rules_file(tmp_path, database_url):
    from tsunagi import create_app

    path = broken_default(tmp_path, "service: shogai", "service: kaigo")
    with pytest.raises(DataFileError, match="domains.disability.service"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "TRIAGE_RULES_FILE": str(path)})


@pytest.mark.parametrize(("answers", "rule", "first"), [
    # two or more domains -> the first present of child, disability, elderly, poverty
    ({"age_band": "18_39", "pregnant": "yes", "concerns": ["money"]}, "multi_domain", "kodomo"),
    ({"age_band": "65_plus", "concerns": ["disability", "money"]}, "multi_domain", "shogai"),
    ({"age_band": "65_plus", "concerns": ["money"]}, "multi_domain", "houkatsu"),
    # 8050 -> houkatsu
    ({"age_band": "40_64", "concerns": ["isolation"], "household": ["elderly_65_plus"]}, "8050", "houkatsu"),
    # young or double carer -> kodomo when a child or raising children, else houkatsu
    ({"age_band": "18_39", "concerns": ["caregiving"]}, "carer", "houkatsu"),
    # no domain -> jiritsu
    ({"age_band": "18_39", "concerns": ["isolation"]}, "no_domain", "jiritsu"),
])
def test_every_team_rule_names_its_first_contact(answers, rule, first):
    a = validate_answers({"subject": "self", "danger_now": "no", **answers})
    d = decide(a, PROVIDERS)
    assert (d.service, d.rule) == ("takikan", rule)
    assert d.first_contact["service"] == first
    alone = d.without_team()
    assert alone.service == first and alone.provider_id == d.first_contact["provider_id"]
    assert alone.rule == rule and alone.priority == d.priority
    codes = [r.code for r in alone.reasons]
    assert codes[-2:] == ["first_contact_no_meeting", "provider_language"]  # the office speaks ja
    assert codes.count("provider_language") == 1


def test_a_young_carer_reaches_the_children_s_office_without_the_meeting():
    a = validate_answers({"subject": "self", "age_band": "6_17", "danger_now": "no", "concerns": ["caregiving"]})
    d = decide(a, PROVIDERS)
    # A child is in the child domain: two domains (child + ...) or the carer rule, both end at kodomo.
    assert d.service == "takikan" and d.without_team().service == "kodomo"


def test_first_contact_uses_the_town_desk_without_a_welfare_office():
    a = validate_answers({"subject": "self", "age_band": "18_39", "danger_now": "no", "concerns": ["isolation"]})
    d = decide(a, PROVIDERS, has_welfare_office=False)
    assert d.without_team().service == "choson"


def test_first_contact_skips_a_service_without_an_office():
    """No kodomo office: the multi-domain pregnant resident in debt goes to the next one present."""
    providers = [p for p in PROVIDERS if p.service != "kodomo"]
    a = validate_answers({"subject": "self", "age_band": "18_39", "pregnant": "yes", "danger_now": "no",
                          "concerns": ["money"]})
    assert decide(a, providers).without_team().service == "jiritsu"


def test_a_team_without_an_office_hands_to_the_first_contact():
    providers = [p for p in PROVIDERS if p.service != "takikan"]
    a = validate_answers({"subject": "self", "age_band": "40_64", "danger_now": "yes",
                          "concerns": ["isolation"], "household": ["elderly_65_plus"]})
    d = decide(a, providers)
    assert d.service == "takikan" and d.provider_id is None
    alone = d.without_team()
    assert alone.service == "houkatsu" and alone.priority == "urgent"
    assert "first_contact_no_team" in [r.code for r in alone.reasons]
