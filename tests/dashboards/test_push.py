"""`mlf-dashboards push` against a fake Grafana that records requests: everything created once, a second
push changes nothing, a dry run writes nothing, and a bad URL, token or refusal gives one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards import alerts, cli, datasource, generate
from devstack.processes import free_port
from tests.dashboards.fake_grafana import TOKEN, fake_grafana


def _push(url: str, token_file: Path, *extra: str) -> int:
    return cli.main(
        ["push", "--url", url, "--token-file", str(token_file), "--board-url", "https://mlf.example.org", *extra]
    )


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "grafana-token"
    path.write_text(TOKEN + "\n")
    return path


def test_push_creates_everything_then_changes_nothing(token_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with fake_grafana() as (url, state):
        assert _push(url, token_file) == 0
        first = capsys.readouterr().out
        assert first.count("create") == 1 + 1 + len(generate.BOARDS) + 1
        # grafana-client's request shapes, as Grafana's HTTP API documents them
        writes = [(w.method, w.path) for w in state.writes()]
        assert writes == [
            ("POST", "/api/folders"),
            ("POST", "/api/datasources"),
            *[("POST", "/api/dashboards/db")] * len(generate.BOARDS),
            ("PUT", f"/api/v1/provisioning/folder/{alerts.FOLDER_UID}/rule-groups/{alerts.GROUP}"),
        ]
        assert state.writes()[0].body == {"uid": alerts.FOLDER_UID, "title": alerts.FOLDER_TITLE}
        assert state.datasources[datasource.UID]["type"] == "grafana-postgresql-datasource"
        assert state.datasources[datasource.UID]["jsonData"]["timescaledb"] is True
        saved = state.writes()[2].body
        assert saved["folderUid"] == alerts.FOLDER_UID
        assert saved["overwrite"] is True
        assert saved["dashboard"]["uid"] == generate.load("overview")["uid"]
        rules = state.rule_groups[(alerts.FOLDER_UID, alerts.GROUP)]["rules"]
        assert (
            rules[0]["annotations"]["board_url"]
            == "https://mlf.example.org/board/service-points/{{ $labels.service_point }}"
        )
        before = len(state.writes())
        assert _push(url, token_file) == 0
        assert len(state.writes()) == before, "a second push must change nothing"
        assert "create" not in capsys.readouterr().out
        # A changed setting is an update of that one thing.
        assert _push(url, token_file, "--no-timescaledb") == 0
        assert [(w.method, w.path) for w in state.writes()[before:]] == [
            ("PUT", f"/api/datasources/uid/{datasource.UID}")
        ]


def test_dry_run_writes_nothing(token_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with fake_grafana() as (url, state):
        assert _push(url, token_file, "--dry-run") == 0
        assert state.writes() == []
        assert state.requests, "it reads what is there"
        assert "would create dashboard mlf-overview" in capsys.readouterr().out


def test_bad_token_bad_url_and_refusal_give_one_clear_line(
    token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("glsa_wrong")
    with fake_grafana() as (url, state):
        assert _push(url, wrong) == 1
        assert (
            capsys.readouterr().err
            == f"mlf-dashboards: Grafana at {url} refused the token (401): check the token file\n"
        )
        state.refuse_writes = True
        assert _push(url, token_file) == 1
        err = capsys.readouterr().err
        assert err.startswith("mlf-dashboards: Grafana refused to create folder mettiamoci-la-faccia:")
        assert err.count("\n") == 1
    closed = f"http://127.0.0.1:{free_port()}"
    assert _push(closed, token_file) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mlf-dashboards: cannot reach Grafana at {closed}")
    assert err.count("\n") == 1
    assert _push("grafana.example.org", token_file) == 1
    assert "not a Grafana URL" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="cannot read the token file"):
        _push("http://127.0.0.1:1", tmp_path / "missing")
