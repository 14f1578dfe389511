from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from tsunagi.domain import municipality
from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.models import Location, Provider


def write(tmp_path, mutate):
    data = yaml.safe_load(municipality.DEMO_FILE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_demo_file_is_valid_and_complete():
    spec = municipality.load_file(municipality.DEMO_FILE)
    assert len(spec.districts) >= 2
    kinds = {loc.kind for loc in spec.locations}
    assert {"library", "hub", "outreach"} <= kinds
    services = {p.service for p in spec.providers}
    assert {"houkatsu", "shogai", "kodomo", "jiritsu", "takikan"} <= services
    houkatsu_districts = {d for p in spec.providers if p.service == "houkatsu" for d in p.districts}
    assert houkatsu_districts == {d.code for d in spec.districts}
    assert {"110", "119", "189", "#8008"} <= {c.number for c in spec.emergency_contacts}


@pytest.mark.parametrize(("mutate", "where", "what"), [
    (lambda d: d["providers"][2].update(service="kaigo"), "providers[2].service", "'kaigo' is not one of"),
    (lambda d: d["locations"][0].update(kind="school"), "locations[0].kind", "library"),
    (lambda d: d["locations"][1].update(district="higashi"), "locations[1].district", "unknown district 'higashi'"),
    (lambda d: d["providers"][0].update(districts=["kita", "nishi"]), "providers[0].districts[1]", "unknown district 'nishi'"),
    (lambda d: d["providers"][1].update(code="houkatsu-kita"), "providers[1].code", "appears twice"),
    (lambda d: d.pop("has_welfare_office"), "has_welfare_office", "Field required"),
    (lambda d: d["emergency_contacts"].append({"kind": "police", "number": "one-one-oh"}), "emergency_contacts[5].number", "pattern"),
    (lambda d: d["providers"][0].update(colour="blue"), "providers[0].colour", "Extra inputs"),
    (lambda d: d["districts"][0]["name"].update(vn="Khu phía Bắc"), "districts[0].name", "unknown locale 'vn'"),
])
def test_malformed_file_names_file_path_and_line(tmp_path, mutate, where, what):
    path = write(tmp_path, mutate)
    with pytest.raises(DataFileError) as info:
        municipality.load_file(path)
    message = str(info.value)
    assert str(path) in message
    assert where in message
    assert what in message
    assert "(line " in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("code: x\nname: {ja: [\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken.yaml: line \d+: not valid YAML"):
        municipality.load_file(path)


def test_apply_updates_by_code_and_deactivates_removed(session, tmp_path):
    municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
    session.commit()
    path = write(tmp_path, lambda d: (d["providers"].pop(2), d["locations"][0]["name"].update(ja="新図書館")))
    municipality.apply(session, municipality.load_file(path))
    session.commit()
    assert session.scalar(select(Provider).where(Provider.code == "shogai")).active is False
    assert session.scalar(select(Location).where(Location.code == "lib-chuo")).name["ja"] == "新図書館"
    assert len(session.scalars(select(Provider)).all()) == 6


def test_cli_load_reports_where_the_file_is_wrong(runner, tmp_path):
    path = write(tmp_path, lambda d: d["providers"][2].update(service="kaigo"))
    result = runner.invoke(args=["municipality", "load", str(path)])
    assert result.exit_code != 0
    assert "providers[2].service" in result.output and str(path) in result.output


def test_cli_load_demo(runner, session):
    result = runner.invoke(args=["municipality", "load", "--demo"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Location).where(Location.code == "hub-minami")) is not None


def only_ja_en(data):
    """The file as a municipality starts it: names in Japanese and English only."""
    def strip(node):
        if isinstance(node, dict):
            if "ja" in node and all(isinstance(v, str) for v in node.values()):
                for key in [k for k in node if k not in ("ja", "en")]:
                    del node[key]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)
    strip(data)


def test_every_untranslated_name_is_listed_per_locale(tmp_path):
    spec = municipality.load_file(write(tmp_path, only_ja_en))
    missing = municipality.missing_translations(spec)
    assert set(missing) == set(municipality.TRANSLATED_LOCALES) - {"en"}
    assert {"name", "kita.name", "houkatsu-kita.name", "houkatsu-kita.hours", "lib-chuo.name"} <= set(missing["vi"])
    assert municipality.missing_translations(municipality.load_file(municipality.DEMO_FILE)) == {}


def test_names_are_stored_with_their_reading_and_romanisation(session, tmp_path):
    path = write(tmp_path, lambda d: (only_ja_en(d), d["districts"][1]["name"].update({"ja-Latn": "Nambu"})))
    municipality.apply(session, municipality.load_file(path))
    provider = session.scalar(select(Provider).where(Provider.code == "houkatsu-kita"))
    assert provider.name["ja-Hrkt"] == "ほくぶちいきほうかつしえんセンター"
    assert provider.name["ja-Latn"] == "Hokubu chiiki houkatsu shien sentaa"
    # A reader of a locale the file does not render gets the official name, romanised:
    assert municipality.localized(provider.name, "vi") == "北部地域包括支援センター (Hokubu chiiki houkatsu shien sentaa)"
    assert municipality.localized(provider.name, "ja@easy") == "北部地域包括支援センター"
    from tsunagi.domain.models import District
    south = session.scalar(select(District).where(District.code == "minami"))
    assert municipality.localized(south.name, "th") == "南部地区 (Nambu)"  # the file's own romanisation wins


def test_cli_check_reports_untranslated_names_and_can_require_them(runner, tmp_path):
    path = write(tmp_path, only_ja_en)
    result = runner.invoke(args=["municipality", "check", str(path)])
    assert result.exit_code == 0, result.output
    # 20 names and hours, and the 3 texts of the demo's own question (label, two choices)
    assert "vi: 23 untranslated: name, kita.name" in result.output and "my: 23 untranslated" in result.output
    strict = runner.invoke(args=["municipality", "check", "--require-translations", str(path)])
    assert strict.exit_code == 1
    demo = runner.invoke(args=["municipality", "check", "--require-translations", str(municipality.DEMO_FILE)])
    assert demo.exit_code == 0 and "every name and opening hours in 12 locales" in demo.output
