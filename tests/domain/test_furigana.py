"""Furigana: readings over kanji on Japanese resident pages (tsunagi/furigana.py, kiosk/ruby.py)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.kiosk_helpers import csrf_token
from tsunagi.domain import furigana
from tsunagi.domain.furigana import FuriganaError, Reader, align, check_dictionary, project_dictionary


@pytest.fixture(scope="module")
def reader():
    return Reader(project_dictionary())


def marked(reader, text):
    return "".join(b if r is None else f"{b}[{r}]" for b, r in reader.segments(text))


@pytest.mark.parametrize("text, expected", [
    # The program's own words, as municipalities say them.
    ("地域包括支援センター", "地域[ちいき]包括[ほうかつ]支援[しえん]センター"),
    ("多機関協働", "多[た]機関[きかん]協働[きょうどう]"),
    ("重層的支援会議", "重層[じゅうそう]的[てき]支援[しえん]会議[かいぎ]"),
    ("障害者相談支援", "障害者[しょうがいしゃ]相談[そうだん]支援[しえん]"),
    # Okurigana stay outside the reading.
    ("答えを選んでください", "答[こた]えを選[えら]んでください"),
    ("受け付けました", "受[う]け付[つ]けました"),
    # The project dictionary corrects the analyzer, on word boundaries only.
    ("高齢の方の介護", "高齢[こうれい]の方[かた]の介護[かいご]"),
    ("方法", "方法[ほうほう]"),
    ("受付票を印刷する", "受付票[うけつけひょう]を印刷[いんさつ]する"),
    # Numbers with counters, irregular ones over the whole.
    ("1日と14日と26日", "1日[ついたち]と14日[じゅうよっか]と26日[にち]"),
    ("2人で3人", "2人[ふたり]で3人[にん]"),
    ("1分ほど", "1分[ぷん]ほど"),
    ("1分野の相談", "1分野[ぶんや]の相談[そうだん]"),
    ("全7問中3問目", "全[ぜん]7問[もん]中[ちゅう]3問[もん]目[め]"),
    # Readings written in やさしい日本語 win and lose their brackets.
    ("相談（そうだん） を うけつけました", "相談[そうだん] を うけつけました"),
    ("子育て（こそだて）", "子育[こそだ]て"),
    ("お金（おかね）", "お金[かね]"),
    # No kanji, nothing to read.
    ("センター 090-1234-5678", "センター 090-1234-5678"),
])
def test_readings(reader, text, expected):
    assert marked(reader, text) == expected


def test_align_splits_the_reading_between_kanji_and_kana():
    assert align("引きこもり", "ヒキコモリ") == [("引", "ひ"), ("きこもり", None)]
    assert align("霞ヶ関", "カスミガセキ") == [("霞ヶ関", "かすみがせき")]
    # A reading that does not line up with the kana covers the whole word.
    assert align("今日", "キョウ") == [("今日", "きょう")]
    assert align("センター", "センター") == [("センター", None)]


def test_municipality_words_override_the_analyzer():
    plain = Reader(project_dictionary())
    assert marked(plain, "つなぎ市立中央図書館").startswith("つなぎ市[し]立[りつ]")
    local = Reader({**project_dictionary(), "市立": "しりつ"})
    assert marked(local, "つなぎ市立中央図書館") == "つなぎ市立[しりつ]中央[ちゅうおう]図書館[としょかん]"


@pytest.mark.parametrize("entries, message", [
    ({"センター": "せんたー"}, "has no kanji"),
    ({"市立": "shiritsu"}, "must be kana"),
    ({"選ぶ": "えらん"}, "does not fit"),
    (["市立"], "mapping"),
])
def test_bad_dictionary_entries_are_named(entries, message):
    with pytest.raises(FuriganaError, match=message):
        check_dictionary(entries, "demo.yaml")


def test_municipality_file_with_a_bad_reading_fails_with_file_and_word(tmp_path):
    from pathlib import Path

    from tsunagi.domain.datafile import DataFileError
    from tsunagi.domain.municipality import load_file

    source = Path("municipalities/demo.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "city.yaml"
    bad.write_text(source.replace("市立: しりつ", "市立: shiritsu"), encoding="utf-8")
    with pytest.raises(DataFileError) as error:
        load_file(bad)
    assert "city.yaml" in str(error.value) and "市立" in str(error.value) and "furigana" in str(error.value)


def test_html_text_gets_ruby_but_attributes_titles_options_and_marked_parts_do_not(reader):
    page = ('<html><head><title>相談</title></head><body data-x="相談">'
            '<h1 aria-label="相談">相談 &amp; 支援</h1><select><option>地区</option></select>'
            '<textarea>相談</textarea><script>var s = "相談";</script>'
            '<p data-furigana="off">山田<b>太郎</b></p><br><p>電話<br/>番号</p></body></html>')
    out = furigana.annotate_html(page, reader)
    assert "<h1 aria-label=\"相談\"><ruby>相談<rp>(</rp><rt aria-hidden=\"true\">そうだん</rt><rp>)</rp></ruby> &amp; " in out
    assert "<title>相談</title>" in out and 'data-x="相談"' in out
    assert "<option>地区</option>" in out and "<textarea>相談</textarea>" in out
    assert 'var s = "相談";' in out
    assert '<p data-furigana="off">山田<b>太郎</b></p>' in out
    assert "<rt aria-hidden=\"true\">でんわ</rt>" in out and "<rt aria-hidden=\"true\">ばんごう</rt>" in out


def test_buttons_keep_their_words_as_their_name(reader):
    out = furigana.annotate_html('<button type="submit" class="b">次へ &amp; 戻る</button><button>OK</button>'
                                 '<button aria-label="x">次へ</button>', reader)
    assert out.startswith('<button type="submit" class="b" aria-label="次へ &amp; 戻る"><ruby>次')
    assert "<button>OK</button>" in out and '<button aria-label="x"><ruby>次' in out


def test_text_in_another_language_gets_no_japanese_readings(reader):
    page = '<ul><li><a lang="zh-Hans">中文（简体）</a></li><li lang="ja">日本語</li></ul>'
    out = furigana.annotate_html(page, reader)
    assert '<a lang="zh-Hans">中文（简体）</a>' in out and "<rt aria-hidden=\"true\">にほんご</rt>" in out


def test_easy_japanese_without_furigana_drops_the_written_readings():
    page = "<p>相談（そうだん） を <b>うけつけ</b> ました</p><title>相談（そうだん）</title>"
    assert furigana.strip_authored_html(page) == "<p>相談 を <b>うけつけ</b> ました</p><title>相談（そうだん）</title>"


class _Text(HTMLParser):
    """The text a reader sees outside ruby readings, and the kanji left without a reading."""

    SKIP = {"title", "script", "style", "textarea", "option", "rt", "rp", "svg"}

    def __init__(self):
        super().__init__()
        self.stack, self.bare, self.in_ruby, self.off = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in furigana.VOID:
            return
        attrs = dict(attrs)
        off = attrs.get("data-furigana") == "off" or not (attrs.get("lang") or "ja").startswith("ja")
        self.stack.append((tag, off))
        self.off += off
        self.in_ruby += tag == "ruby"

    def handle_endtag(self, tag):
        while self.stack:
            name, off = self.stack.pop()
            self.off -= off
            self.in_ruby -= name == "ruby"
            if name == tag:
                break

    def handle_data(self, data):
        if self.in_ruby or self.off or any(t in self.SKIP for t, _ in self.stack):
            return
        self.bare += furigana.KANJI_RUN.findall(data)


def bare_kanji(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.bare


def test_every_kanji_on_the_japanese_journey_has_a_reading(client, demo):
    """The whole kiosk journey in Japanese with furigana on: the toggle follows the
    resident from page to page and no kanji a resident reads is left without a reading."""
    welcome = client.get("/k/lib-chuo/ja/?furigana=1")
    assert welcome.status_code == 200 and "<rt aria-hidden=\"true\">" in welcome.text
    start = client.post("/k/lib-chuo/ja/start?furigana=1", data={"csrf_token": csrf_token(welcome.text)})
    url = start.headers["Location"]
    assert url.endswith("furigana=1")
    pages = [welcome]
    answers = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no",
               "area": "kita", "name": "山田太郎", "phone": "０９０－１２３４－５６７８"}
    from tests.kiosk_helpers import STEP_KEYS
    for _ in range(20):
        page = client.get(url)
        assert page.status_code == 200, url
        pages.append(page)
        path = url.split("?")[0]
        if path.endswith("/review"):
            assert "山田太郎" in page.text  # what the resident typed is shown as typed
            url = re.search(r'href="([^"]*/consent[^"]*)"', page.text).group(1).replace("&amp;", "&")
            continue
        data = {"csrf_token": csrf_token(page.text)}
        if path.endswith("/consent"):
            data.update(share="yes", multi_agency_meeting="yes", contact_methods=["phone"])
        else:
            step = path.rsplit("/", 1)[1]
            data.update({k: v for k, v in answers.items() if k in STEP_KEYS.get(step, ())})
        response = client.post(url, data=data)
        assert response.status_code == 302, (url, response.text[:300])
        url = response.headers["Location"]
        assert "furigana=1" in url, url
        if "/receipt" in url:
            pages.append(client.get(url))
            break
    assert "/receipt" in url
    for page in pages:
        assert page.status_code == 200
        assert bare_kanji(page.text) == [], (page.request.path, bare_kanji(page.text))
    assert "<rt aria-hidden=\"true\">うけつけひょう</rt>" in pages[-1].text  # 受付票, from the project dictionary
    # The quick exit does not carry the choice to the next resident.
    finish = client.post("/k/lib-chuo/ja/finish?furigana=1", data={"csrf_token": csrf_token(pages[-1].text)})
    assert "furigana" not in finish.headers["Location"]


def test_toggle_switches_and_japanese_starts_without_furigana(client, demo):
    plain = client.get("/k/lib-chuo/ja/")
    assert "<rt aria-hidden=\"true\">" not in plain.text and 'data-furigana-shown="no"' in plain.text
    toggle = re.search(r'<a class="furigana-toggle" href="([^"]+)"[^>]*>([^<]+)</a>', plain.text)
    assert toggle.group(2) == "ふりがなをつける" and toggle.group(1).endswith("?furigana=1")
    shown = client.get(toggle.group(1).replace("&amp;", "&"))
    assert "<rt aria-hidden=\"true\">" in shown.text and 'data-furigana-shown="yes"' in shown.text
    back = re.search(r'<a class="furigana-toggle" href="([^"]+)"[^>]*>([^<]+)</a>', shown.text)
    assert back.group(2) == "ふりがなをけす" and back.group(1).endswith("?furigana=0")


def test_easy_japanese_starts_with_furigana_from_its_written_readings(client, demo):
    page = client.get("/k/lib-chuo/ja@easy/")
    assert "<ruby>相談<rp>(</rp><rt aria-hidden=\"true\">そうだん</rt><rp>)</rp></ruby>" in page.text
    assert "相談（そうだん）" not in page.text.split("</title>")[1]
    off = client.get("/k/lib-chuo/ja@easy/?furigana=0")
    assert "<rt aria-hidden=\"true\">" not in off.text and "相談（そうだん）" not in off.text.split("</title>")[1]
    assert "相談" in off.text


@pytest.mark.parametrize("locale", ["en", "vi", "zh_Hans"])
def test_other_languages_have_no_toggle_and_no_ruby(client, demo, locale):
    page = client.get(f"/k/lib-chuo/{locale}/?furigana=1")
    assert page.status_code == 200
    assert "furigana-toggle" not in page.text and "<ruby>" not in page.text and "data-furigana-shown" not in page.text


def test_follow_up_api_gives_segments_with_readings(client, submitted):
    body = {"token": submitted.secrets.token, "locale": "ja", "furigana": True}
    data = client.post("/api/v1/follow-up", json=body).json
    segments = data["furigana"]["status_text"]
    assert "".join(s["text"] for s in segments) == data["status_text"]
    assert {"text": "相談", "reading": "そうだん"} in segments
    assert "".join(s["text"] for s in data["furigana"]["provider_name"]) == data["provider"]["name"]
    english = client.post("/api/v1/follow-up", json={**body, "locale": "en"}).json
    assert "furigana" not in english
    plain = client.post("/api/v1/follow-up", json={**body, "furigana": False}).json
    assert "furigana" not in plain
    wrong = client.post("/api/v1/follow-up", json={**body, "furigana": "yes"})
    assert wrong.status_code == 422


def test_follow_up_page_has_the_toggle_in_japanese(client, demo):
    page = client.get("/f?lang=ja")
    assert 'class="furigana-toggle"' in page.text and 'data-furigana-shown="no"' in page.text
    shown = client.get("/f?lang=ja&furigana=1")
    assert "<rt aria-hidden=\"true\">" in shown.text and bare_kanji(shown.text) == []


def test_easy_japanese_shows_the_japanese_names_of_offices():
    from tsunagi.domain.municipality import localized

    name = {"ja": "北部地域包括支援センター", "en": "North Community General Support Center"}
    assert localized(name, "ja@easy") == "北部地域包括支援センター"
    assert localized(name, "en") == "North Community General Support Center"
    # Without its own rendering a reader gets the official name, never another language's.
    assert localized(name, "pt_BR") == "北部地域包括支援センター"
    assert localized({**name, "ja-Latn": "Hokubu chiiki houkatsu shien sentaa"}, "pt_BR") == \
        "北部地域包括支援センター (Hokubu chiiki houkatsu shien sentaa)"


def test_municipal_it_can_review_the_readings_of_its_names(runner):
    result = runner.invoke(args=["municipality", "furigana", "municipalities/demo.yaml"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "つなぎ市[し]" in lines
    # The file's own reading (市立: しりつ) wins over the analyzer's し・りつ.
    assert "つなぎ市立[しりつ]中央[ちゅうおう]図書館[としょかん]" in lines
    assert "北部[ほくぶ]地域[ちいき]包括[ほうかつ]支援[しえん]センター" in lines
    assert "平日[へいじつ] 8:30–17:15" in lines


def test_japanese_form_spec_carries_the_readings_of_its_texts(client, demo):
    spec = client.get("/api/v1/forms/intake-default?locale=ja").json
    title = spec["steps"][0]["title"]
    assert spec["readings"][title][0] == {"text": "相談", "reading": "そうだん"}
    assert "".join(s["text"] for s in spec["readings"][title]) == title
    paragraph = spec["consent"]["text"].split("\n\n")[0]
    assert paragraph in spec["readings"]
    easy = client.get("/api/v1/forms/intake-default?locale=ja@easy").json
    assert any({"text": "相談", "reading": "そうだん"} in segments for segments in easy["readings"].values())
    assert "readings" not in client.get("/api/v1/forms/intake-default?locale=en").json


@pytest.mark.parametrize("locale, shown", [("ja", "no"), ("ja@easy", "yes")])
def test_the_japanese_outreach_shell_carries_readings_and_a_toggle(client, demo, locale, shown):
    html = client.get(f"/outreach/{locale}/").text
    assert f'data-furigana-shown="{shown}"' in html and 'id="furigana-toggle"' in html
    assert '<rt aria-hidden="true">' in html and bare_kanji(html) == []


def test_other_outreach_shells_have_neither(client, demo):
    html = client.get("/outreach/ko/").text
    assert "furigana" not in html and "<ruby>" not in html
