"""The default triage policy of DOMAIN.md, rule by rule and boundary by boundary."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsunagi.domain.triage.answers import (
    AGE_BANDS,
    CONCERNS,
    DANGER,
    HOUSEHOLD,
    SUBJECTS,
    InvalidAnswers,
    validate_answers,
)
from tsunagi.domain.triage.decide import ProviderInfo, decide
from tsunagi.domain.triage.reasons import render_reason

PROVIDERS = [
    ProviderInfo(1, "houkatsu-kita", "houkatsu", ("kita",), False, ("ja",)),
    ProviderInfo(2, "houkatsu-minami", "houkatsu", ("minami",), False, ("ja", "en")),
    ProviderInfo(3, "shogai", "shogai", (), True, ("ja",)),
    ProviderInfo(4, "kodomo", "kodomo", (), True, ("ja", "en")),
    ProviderInfo(5, "jiritsu", "jiritsu", (), True, ("ja",)),
    ProviderInfo(6, "choson", "choson", (), True, ("ja",)),
    ProviderInfo(7, "takikan", "takikan", (), True, ("ja",)),
]


def answers(**kw):
    base = {"subject": "self", "age_band": "18_39", "danger_now": "no", "area": "kita"}
    base.update(kw)
    return validate_answers(base, ["kita", "minami"])


# (answers, service, rule) for every rule and boundary of the default policy.
POLICY = [
    # domains: elderly by age or by elder_care; boundary 40_64 is not elderly
    (dict(age_band="65_plus"), "houkatsu", "single_domain"),
    (dict(age_band="40_64", concerns=["elder_care"]), "houkatsu", "single_domain"),
    (dict(age_band="40_64", concerns=["health"]), "takikan", "no_domain"),
    # disability
    (dict(concerns=["disability"]), "shogai", "single_domain"),
    # child: by age (under_6, 6_17 but not 18_39), pregnancy, or child concerns
    (dict(age_band="under_6"), "kodomo", "single_domain"),
    (dict(age_band="6_17"), "kodomo", "single_domain"),
    (dict(age_band="18_39", pregnant="yes"), "kodomo", "single_domain"),
    (dict(concerns=["pregnancy"]), "kodomo", "single_domain"),
    (dict(concerns=["child_rearing"]), "kodomo", "single_domain"),
    (dict(concerns=["school"]), "kodomo", "single_domain"),
    # poverty: each of money/work/housing/food
    (dict(concerns=["money"]), "jiritsu", "single_domain"),
    (dict(concerns=["work"]), "jiritsu", "single_domain"),
    (dict(concerns=["housing"]), "jiritsu", "single_domain"),
    (dict(concerns=["food"]), "jiritsu", "single_domain"),
    # rule 1: two or more domains
    (dict(age_band="65_plus", concerns=["money"]), "takikan", "multi_domain"),
    (dict(concerns=["disability", "school"]), "takikan", "multi_domain"),
    (dict(age_band="6_17", concerns=["disability", "food"]), "takikan", "multi_domain"),
    # rule 2: 8050 needs all three parts
    (dict(age_band="40_64", concerns=["isolation"], household=["elderly_65_plus"]), "takikan", "8050"),
    (dict(age_band="18_39", concerns=["isolation"], household=["elderly_65_plus"]), "takikan", "no_domain"),
    (dict(age_band="40_64", concerns=["isolation"], household=["lives_alone"]), "takikan", "no_domain"),
    (dict(age_band="40_64", concerns=["isolation", "money"], household=["elderly_65_plus"]), "takikan", "8050"),
    # rule 3: young carer (6_17, 18_39) or double carer (child_rearing)
    (dict(age_band="6_17", concerns=["caregiving"]), "takikan", "carer"),
    (dict(age_band="18_39", concerns=["caregiving"]), "takikan", "carer"),
    (dict(age_band="40_64", concerns=["caregiving"]), "takikan", "no_domain"),
    (dict(age_band="40_64", concerns=["caregiving", "child_rearing"]), "takikan", "carer"),
    # one domain beats carer only when the carer rule does not hold; here it holds
    (dict(age_band="18_39", concerns=["caregiving", "money"]), "takikan", "carer"),
    # rule 5: no domain, isolation alone
    (dict(concerns=["isolation"]), "takikan", "no_domain"),
    (dict(concerns=[]), "takikan", "no_domain"),
    (dict(age_band="unknown", concerns=["other"]), "takikan", "no_domain"),
]


@pytest.mark.parametrize(("given_answers", "service", "rule"), POLICY)
def test_default_policy(given_answers, service, rule):
    d = decide(answers(**given_answers), PROVIDERS)
    assert (d.service, d.rule) == (service, rule)
    assert d.reasons


def test_poverty_goes_to_choson_without_welfare_office():
    d = decide(answers(concerns=["money"]), PROVIDERS, has_welfare_office=False)
    assert d.service == "choson"
    assert "no_welfare_office" in [r.code for r in d.reasons]
    assert d.provider_id == 6


@pytest.mark.parametrize(("given_answers", "priority", "signal"), [
    (dict(danger_now="yes"), "urgent", "danger_now"),
    (dict(danger_now="unsure"), "urgent", "danger_now"),
    (dict(concerns=["violence"]), "urgent", "violence"),
    (dict(danger_now="no", concerns=["family_relations"]), "normal", None),
])
def test_priority(given_answers, priority, signal):
    d = decide(answers(**given_answers), PROVIDERS)
    assert d.priority == priority
    if signal:
        assert signal in d.signals
        assert d.reasons[0].code.startswith("urgent_")


@pytest.mark.parametrize(("area", "locale", "provider", "choice"), [
    ("kita", "ja", 1, "area"),
    ("minami", "ja", 2, "area"),
    (None, "en", 2, "language"),   # no area given: the one speaking English
    (None, "ja", 1, "language"),   # both speak Japanese: the first listed
])
def test_provider_choice_inside_houkatsu(area, locale, provider, choice):
    d = decide(answers(age_band="65_plus", area=area), PROVIDERS, locale=locale)
    assert (d.provider_id, d.provider_choice) == (provider, choice)


def test_municipality_wide_provider_when_nothing_else_fits():
    only_wide = [ProviderInfo(9, "houkatsu-all", "houkatsu", (), True, ("ja",))]
    d = decide(answers(age_band="65_plus"), only_wide, locale="en")
    assert (d.provider_id, d.provider_choice) == (9, "wide")


def test_service_without_provider_goes_to_takikan():
    no_shogai = [p for p in PROVIDERS if p.service != "shogai"]
    d = decide(answers(concerns=["disability"]), no_shogai)
    assert d.service == "takikan"
    assert d.provider_id == 7
    assert "provider_missing" in [r.code for r in d.reasons]


def test_inactive_provider_is_skipped():
    providers = [ProviderInfo(1, "houkatsu-kita", "houkatsu", ("kita",), False, ("ja",), active=False),
                 *PROVIDERS[1:]]
    d = decide(answers(age_band="65_plus", area="kita"), providers)
    assert d.provider_id == 2 and d.provider_choice == "language"


def test_reasons_render_in_the_readers_language():
    d = decide(answers(age_band="40_64", concerns=["isolation"], household=["elderly_65_plus"]), PROVIDERS)
    table = {"8050: aged 40-64, withdrawn from society, lives with an older family member":
             "8050: 40-64歳・ひきこもり・高齢の家族と同居"}
    texts = [render_reason(r, lambda m: table.get(m, m)) for r in d.reasons]
    assert "8050: 40-64歳・ひきこもり・高齢の家族と同居" in texts


@pytest.mark.parametrize(("raw", "key"), [
    ({"subject": "self", "age_band": "18_39"}, "danger_now"),
    ({"subject": "me", "age_band": "18_39", "danger_now": "no"}, "subject"),
    ({"subject": "self", "age_band": "30", "danger_now": "no"}, "age_band"),
    ({"subject": "self", "age_band": "18_39", "danger_now": "no", "concerns": ["debt"]}, "concerns"),
    ({"subject": "self", "age_band": "18_39", "danger_now": "no", "concerns": "money"}, "concerns"),
    ({"subject": "self", "age_band": "18_39", "danger_now": "no", "area": "nishi"}, "area"),
    ({"subject": "self", "age_band": "18_39", "danger_now": "no", "colour": "red"}, "colour"),
])
def test_invalid_answers_name_the_question(raw, key):
    with pytest.raises(InvalidAnswers) as info:
        validate_answers(raw, ["kita", "minami"])
    assert key in info.value.errors


valid_answers = st.fixed_dictionaries(
    {"subject": st.sampled_from(SUBJECTS), "age_band": st.sampled_from(AGE_BANDS),
     "danger_now": st.sampled_from(DANGER)},
    optional={"pregnant": st.sampled_from(("yes", "no")),
              "concerns": st.lists(st.sampled_from(CONCERNS), unique=True),
              "household": st.lists(st.sampled_from(HOUSEHOLD), unique=True),
              "area": st.sampled_from(("kita", "minami"))},
)


@given(valid_answers, st.booleans(), st.sampled_from(("ja", "en")))
def test_any_valid_answers_get_one_service_and_reasons(raw, welfare_office, locale):
    d = decide(validate_answers(raw, ["kita", "minami"]), PROVIDERS,
               has_welfare_office=welfare_office, locale=locale)
    assert d.service in {"houkatsu", "shogai", "kodomo", "jiritsu", "choson", "takikan"}
    assert d.reasons
    urgent = raw["danger_now"] in ("yes", "unsure") or "violence" in raw.get("concerns", [])
    assert (d.priority == "urgent") == urgent
    assert d.provider_id is not None


@given(st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=8), st.integers(),
                                                        st.lists(st.text(max_size=8)), st.none())))
def test_arbitrary_input_is_rejected_cleanly_or_accepted(raw):
    try:
        validate_answers(raw, ["kita"])
    except InvalidAnswers as exc:
        assert exc.errors


def test_a_municipality_reason_in_easy_japanese_is_its_japanese_text():
    from tsunagi.domain.triage.reasons import render_reason

    custom = {"near_station": {"ja": "駅の近くの窓口", "en": "The office near the station"}}
    reason = {"code": "near_station", "params": {}}
    assert render_reason(reason, str, "ja@easy", custom) == "駅の近くの窓口"
    assert render_reason(reason, str, "pt_BR", custom) == "The office near the station"
