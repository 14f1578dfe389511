"""The demo's own question 「通訳が必要ですか」 (municipalities/demo.yaml, `questions:`) all
the way through: the kiosk, the API and its OpenAPI document, the form spec the outreach
app renders, the demo's rule (municipalities/demo-rules.yaml), and the office's pages."""
from __future__ import annotations

import uuid

import pytest
import yaml
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.inbox.test_inbox import login
from tests.kiosk_helpers import Journey, csrf_token
from tsunagi.domain import ROOT, accounts, municipality
from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.models import Intake, Provider

DEMO_RULES = str(ROOT / "municipalities" / "demo-rules.yaml")
ELDER = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"}


@pytest.fixture
def demo_app(make_app, tmp_path):
    """The app as the demo runs it: the demo's rules, which read its own question."""
    from tsunagi.web.extensions import limiter

    app = make_app({"TESTING": True, "TRIAGE_RULES_FILE": DEMO_RULES})
    app.instance_path = str(tmp_path / "instance")
    limiter.reset()
    return app


def walk_to_contact(journey: Journey) -> str:
    url = journey.start()
    for step, data in [("about", {"subject": "self", "age_band": "65_plus"}), ("concerns", {"concerns": ["health"]}),
                       ("household", {}), ("safety", {"danger_now": "no"}), ("area", {"area": "kita"})]:
        assert url.endswith(f"/{step}"), url
        url = journey.submit(url, data).headers["Location"]
    assert url.endswith("/contact")
    return url


def finish(journey: Journey, contact_url: str, contact: dict):
    response = journey.submit(contact_url, contact)
    assert response.status_code == 302 and response.headers["Location"].endswith("/review"), response.text
    review = journey.client.get(response.headers["Location"])
    assert review.status_code == 200
    consent = journey.submit(f"{journey.base}/consent", {"share": "yes", "multi_agency_meeting": "yes",
                                                         "contact_methods": ["phone"]})
    assert consent.status_code == 302, consent.text
    return review


def test_a_kiosk_resident_answers_the_question_and_the_office_sees_it(demo_app, session, demo):
    client = demo_app.test_client()
    journey = Journey(client, locale="vi")
    contact = walk_to_contact(journey)
    page = client.get(contact)
    # In the resident's language, from the municipality's file, with its two choices.
    assert "Bạn có cần thông dịch viên không?" in page.text
    assert "Có, tôi cần thông dịch viên" in page.text and "Không, tiếng Nhật là được" in page.text
    wrong = journey.submit(contact, {"name": "Mai", "phone": "090-1234-5678", "interpreter": "maybe"})
    assert wrong.status_code == 422
    review = finish(journey, contact, {"name": "Mai", "phone": "090-1234-5678", "interpreter": "yes"})
    assert "Bạn có cần thông dịch viên không?" in review.text and "Có, tôi cần thông dịch viên" in review.text

    intake = session.scalar(select(Intake))
    assert intake.answers["interpreter"] == "yes"
    assert "needs_interpreter" in intake.decision["signals"]
    assert session.get(Provider, intake.provider_id).code == "houkatsu-kita"  # routing as before

    _user, _token = accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita")
    session.commit()
    office = demo_app.test_client()
    assert login(office, "kita-staff").status_code == 302
    row = office.get("/provider/")
    assert f"/provider/intakes/{intake.id}" in row.text
    assert '<span class="tag flag">通訳が必要</span>' in row.text  # the flag on the inbox row
    detail = office.get(f"/provider/intakes/{intake.id}")
    assert detail.status_code == 200
    assert '<span class="tag flag">通訳が必要</span>' in detail.text
    # The answer under the municipality's Japanese label, and the rule's reason.
    assert "<th>通訳が必要ですか</th><td>はい、通訳が必要です</td>" in detail.text
    assert "<li>通訳が必要</li>" in detail.text


def test_the_question_is_optional_and_a_no_raises_no_flag(demo_app, session, demo):
    journey = Journey(demo_app.test_client(), locale="ja")
    contact = walk_to_contact(journey)
    assert "通訳が必要ですか" in journey.client.get(contact).text
    finish(journey, contact, {"name": "山田", "phone": "090-1234-5678", "interpreter": "no"})
    intake = session.scalar(select(Intake))
    assert intake.answers["interpreter"] == "no" and "needs_interpreter" not in intake.decision["signals"]


@pytest.fixture
def worker(session, demo):
    _user, token = accounts.create_user(session, "outreach-1", PASSWORD, "outreach_worker")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def intake_body(client, **answers):
    version = client.get("/api/v1/forms/intake-default?locale=ja").json["consent"]["version"]
    return {"form_id": "intake-default", "locale": "ja", "channel": "outreach", "location": "outreach",
            "answers": {"subject": "self", "age_band": "40_64", "concerns": ["money"], "danger_now": "no",
                        "area": "kita", **answers},
            "contact": {"name": "鈴木", "phone": "080-2222-3333"},
            "consent": {"version": version, "mode": "verbal",
                        "scopes": {"share_with_provider": True, "contact_methods": ["phone"]}}}


def post(client, headers, payload):
    return client.post("/api/v1/intakes", json=payload, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_the_api_accepts_the_question_with_its_choices_only(demo_app, session, worker):
    client = demo_app.test_client()
    done = post(client, worker, intake_body(client, interpreter="yes"))
    assert done.status_code == 201, done.json
    intake = session.scalar(select(Intake))
    assert intake.answers["interpreter"] == "yes" and "needs_interpreter" in intake.decision["signals"]
    wrong = post(client, worker, intake_body(client, interpreter="maybe"))
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert list(wrong.json["errors"]) == ["answers.interpreter"] and "yes, no" in wrong.json["errors"]["answers.interpreter"]
    empty = post(client, worker, intake_body(client, interpreter=""))
    assert empty.status_code == 422 and list(empty.json["errors"]) == ["answers.interpreter"]
    assert post(client, worker, intake_body(client, interpreter=None)).status_code == 201
    unknown = post(client, worker, intake_body(client, interpreters="yes"))
    assert unknown.status_code == 422 and unknown.json["errors"] == {"answers.interpreters": "unknown question"}
    triage = client.post("/api/v1/triage", json={"answers": {**ELDER, "interpreter": "yes"}})
    assert triage.status_code == 200 and "通訳が必要" in [r["text"] for r in triage.json["reasons"]]


def test_the_form_spec_and_the_openapi_document_carry_the_question(client, demo):
    spec = client.get("/api/v1/forms/intake-default?locale=th").json
    contact = next(s for s in spec["steps"] if s["id"] == "contact")
    question = next(q for q in contact["questions"] if q["id"] == "interpreter")
    assert question["type"] == "single" and question["label"] == "คุณต้องการล่ามหรือไม่"
    assert question["choices"] == [{"value": "yes", "label": "ใช่ ต้องการล่าม"},
                                   {"value": "no", "label": "ไม่ต้อง ภาษาญี่ปุ่นได้"}]
    assert "interpreter" in spec["answer_keys"] and "interpreter" not in spec["contact_keys"]
    ja = client.get("/api/v1/forms/intake-default?locale=ja").json
    assert "通訳" in "".join(s["text"] for s in ja["readings"]["通訳が必要ですか"])  # furigana too
    document = client.get("/api/openapi.json").json
    answers = document["components"]["schemas"]["Answers"]
    # Not required: a choice, or null (the outreach app sends null for a question left unanswered).
    assert answers["properties"]["interpreter"]["anyOf"] == [{"enum": ["yes", "no"]}, {"type": "null"}]
    assert "interpreter" not in answers["required"] and answers["additionalProperties"] is False


def test_flask_municipality_check_reports_a_missing_locale_label(runner, tmp_path):
    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    del data["questions"][0]["label"]["ne"]
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = runner.invoke(args=["municipality", "check", "--require-translations", str(path)])
    assert result.exit_code == 1
    assert "ne: 1 untranslated: question interpreter.label" in result.output
    assert "1 own questions" in result.output
    demo = runner.invoke(args=["municipality", "check", "--require-translations", str(municipality.DEMO_FILE)])
    assert demo.exit_code == 0, demo.output


def test_flask_municipality_check_refuses_a_question_in_an_unknown_step(runner, tmp_path):
    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    data["questions"][0]["step"] = "contacts"
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = runner.invoke(args=["municipality", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: questions[0].step (line " in result.output and "unknown step 'contacts'" in result.output


def test_a_rule_naming_an_unknown_question_stops_start_up_with_file_and_line(make_app, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: x\nextends: default\nsignals:\n  lang:\n"
                     "    when: {answer: interpreter, in: [\"ja\"]}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as choice:
        make_app({"TESTING": True, "TRIAGE_RULES_FILE": str(rules)})
    assert f"{rules}: signals.lang.when (line 5): answer 'interpreter' has no choice 'ja'" in str(choice.value)
    # The same rules with a municipality file that does not ask the question.
    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    del data["questions"]
    city = tmp_path / "city.yaml"
    city.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(DataFileError) as unknown:
        make_app({"TESTING": True, "TRIAGE_RULES_FILE": DEMO_RULES, "MUNICIPALITY_FILE": str(city)})
    assert f"{DEMO_RULES}: signals.needs_interpreter.when (line " in str(unknown.value)
    assert "unknown answer key 'interpreter'" in str(unknown.value)


def test_a_new_step_of_the_municipality_is_asked_with_its_title(make_app, session, demo, tmp_path):
    from tsunagi.web.extensions import limiter

    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    question = data["questions"][0]
    question.update(step="language_help", step_title={"ja": "ことばの手助け", "en": "Help with language"})
    city = tmp_path / "city.yaml"
    city.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    app = make_app({"TESTING": True, "MUNICIPALITY_FILE": str(city)})
    app.instance_path = str(tmp_path / "instance")
    limiter.reset()
    client = app.test_client()
    steps = [s["id"] for s in client.get("/api/v1/forms/intake-default?locale=en").json["steps"]]
    assert steps[-2:] == ["language_help", "contact"]
    journey = Journey(client)
    url = journey.start()
    for data_ in [{"subject": "self", "age_band": "65_plus"}, {"concerns": ["health"]}, {},
                  {"danger_now": "no"}, {"area": "kita"}]:
        url = journey.submit(url, data_).headers["Location"]
    assert url.endswith("/language_help")
    page = client.get(url)
    assert "<h1>Help with language</h1>" in page.text and "Do you need an interpreter?" in page.text
    assert journey.submit(url, {"interpreter": "yes"}).headers["Location"].endswith("/contact")


def test_the_kiosk_form_rejects_a_forged_choice(client, session, demo):
    journey = Journey(client)
    contact = walk_to_contact(journey)
    page = client.get(contact)
    forged = client.post(contact, data={"interpreter": "<script>", "csrf_token": csrf_token(page.text)})
    assert forged.status_code == 422 and "<script>" not in forged.text
    assert session.scalar(select(Intake)) is None
