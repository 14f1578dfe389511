"""`flask directory export/import` and the public GET /api/v1/directory."""
from __future__ import annotations

import json

from tsunagi.domain import directory


def test_cli_round_trip_is_byte_identical_and_matches_the_api(runner, client, demo, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert runner.invoke(args=["directory", "export", "-o", str(first)]).exit_code == 0
    imported = runner.invoke(args=["directory", "import", str(first)])
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(args=["directory", "export", "-o", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert directory.problems(json.loads(first.read_text(encoding="utf-8"))) == []
    response = client.get("/api/v1/directory")  # public: no token
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.data == first.read_bytes()


def test_cli_import_refuses_a_broken_file_without_a_traceback(runner, demo, tmp_path):
    bad = tmp_path / "bad.json"
    for text in ("{not json", json.dumps({"organization": {}, "services": []})):
        bad.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["directory", "import", str(bad)])
        assert result.exit_code == 1 and "Error:" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_api_directory_is_read_only(client, demo):
    assert client.post("/api/v1/directory", json={}).status_code == 405
