"""The consent text as the resident reads it (forms/consent-default.yaml, version 4): it
names the municipality that collects, in the resident's language, and the years data is
kept, from the settings; the recorded hash is of that exact text; the two meetings keep
their legal names apart."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from forms.spec import archived_consents, load_consent
from tests.kiosk.test_kiosk import CONTACT, ELDER
from tests.kiosk_helpers import Journey
from tsunagi.domain import municipality
from tsunagi.domain.consent import text_hash
from tsunagi.domain.models import Consent, ConsentText
from tsunagi.domain.vocabulary import LOCALES


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_the_text_names_who_collects_and_how_long_data_is_kept(client, session, demo, locale):
    spec = load_consent()
    assert spec.version == 4
    city = municipality.localized(municipality.current(session).name, locale)
    page = Journey(client, locale=locale).answer_all(ELDER, CONTACT, stop_at_consent=True)
    assert page.status_code == 200
    # The text the kiosk showed, kept by its hash as it was shown.
    kept = session.scalars(select(ConsentText).where(ConsentText.locale == locale,
                                                   ConsentText.text_version == 4)).all()
    assert len(kept) == 1
    text = "\n".join(kept[0].paragraphs)
    assert city in text and "5" in text  # 1825 days after a case ends, the default
    assert "%(" not in text
    assert kept[0].hash == text_hash(kept[0].paragraphs)
    # As read on the page: Japanese pages carry furigana (<ruby>…<rt>reading</rt>), which
    # also draws the readings written inline in やさしい日本語 (障害（しょうがい）).
    read = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<rt[^>]*>.*?</rt>|<rp[^>]*>.*?</rp>", "", page.text)))
    for paragraph in kept[0].paragraphs:
        assert re.sub(r"（[\u3041-\u309f\u30fc ]+）", "", paragraph) in read


def test_the_recorded_consent_is_of_the_text_with_those_names(client, session, demo):
    Journey(client, locale="en").answer_all(ELDER, CONTACT)
    consent = session.scalar(select(Consent))
    assert (consent.text_id, consent.text_version) == ("consent-default", 4)
    text = session.get(ConsentText, consent.text_hash)
    assert "Tsunagi City collects what you tell us here." in text.paragraphs[0]
    assert any("deleted 5 years after your consultation ends" in p for p in text.paragraphs)


def test_another_retention_period_is_another_text_and_another_version(make_app, demo):
    texts = {}
    for days in (1825, 3650):
        app = make_app({"TESTING": True, "RETENTION_DAYS_AFTER_END": days})
        with app.app_context():
            from tsunagi.web.context import consent_text
            from tsunagi.web.extensions import db

            texts[days] = consent_text(db.session, load_consent(), "ja")
    assert texts[1825][1] != texts[3650][1]
    assert any("10" in p for p in texts[3650][0]) and not any("10" in p for p in texts[1825][0])


def test_the_japanese_text_names_the_meeting_the_resident_is_asked_about(client, session, demo):
    """The resident agrees to the 重層的支援会議; the 支援会議 (社会福祉法 106条の6), which may
    share without consent, is never what a kiosk asks about."""
    page = Journey(client, locale="ja").answer_all(ELDER, CONTACT, stop_at_consent=True)
    kept = session.scalar(select(ConsentText).where(ConsentText.locale == "ja", ConsentText.text_version == 4))
    for text in [*kept.paragraphs, page.text]:
        assert "支援会議" not in text.replace("重層的支援会議", ""), text


def test_earlier_versions_stay_readable_for_old_intakes():
    versions = [old.version for old in archived_consents()]
    assert versions == [2, 3]
