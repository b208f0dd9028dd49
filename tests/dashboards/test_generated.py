"""The committed dashboards and provisioning files are what the generator makes today, with stable UIDs,
every text in both languages and every state in words."""

from __future__ import annotations

import re

import yaml

from dashboards import alerts, datasource, generate

UIDS = {
    "overview": "mlf-overview",
    "service-point": "mlf-service-point",
    "fleet": "mlf-fleet",
    "monthly": "mlf-monthly",
}


def test_committed_files_equal_a_fresh_generation() -> None:
    stale = generate.drift()
    assert not stale, f"regenerate with `mlf-dashboards generate`: {[str(p) for p in stale]}"


def test_stable_uids_and_one_data_source() -> None:
    boards = generate.dashboards()
    assert {name: board["uid"] for name, board in boards.items()} == UIDS
    for board in boards.values():
        ids = [panel["id"] for panel in board["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        for panel in board["panels"]:
            assert panel["datasource"] == datasource.REF
            for target in panel["targets"]:
                assert target["datasource"] == datasource.REF
                assert target["rawQuery"] is True


def test_titles_and_descriptions_in_italian_then_english() -> None:
    for board in generate.dashboards().values():
        assert " / " in board["title"]
        for panel in board["panels"]:
            assert re.fullmatch(r"[^/]+ / [^/]+", panel["title"]), panel["title"]
            italian, english = panel["description"].split("\n\n")
            assert italian
            assert english != italian
        for variable in board["templating"]["list"]:
            assert " / " in variable["label"]


def test_states_are_words_with_a_colour_beside() -> None:
    for board in generate.dashboards().values():
        for panel in (p for p in board["panels"] if p["type"] in ("table", "stat")):
            (mapping,) = panel["fieldConfig"]["defaults"]["mappings"]
            shown = mapping["options"]
            assert shown["below_target"]["text"] == "Sotto obiettivo / Below target"
            assert shown["not_enough_data"]["text"] == "Dati insufficienti / Not enough data"
            assert all(option["text"] and option["color"] for option in shown.values())


def test_alert_rules_link_to_the_board_and_read_the_collectors_functions() -> None:
    rules = alerts.rules("https://feedback.example.org/")
    assert [r["uid"] for r in rules] == [
        "mlf-below-target", "mlf-kiosk-silent", "mlf-identity-conflict", "mlf-quarantine-spike"]  # fmt: skip
    for rule in rules:
        assert rule["annotations"]["board_url"].startswith("https://feedback.example.org/board/")
        assert " / " in rule["annotations"]["summary"]
        assert rule["data"][0]["datasourceUid"] == datasource.UID
    assert "mlf_flag(" in rules[0]["data"][0]["model"]["rawSql"]
    assert "mlf_target(" in rules[0]["data"][0]["model"]["rawSql"]
    for kiosk_rule in rules[1:3]:  # the collector's own evaluation: opening hours, conflicts from ingest
        assert "alert_state" in kiosk_rule["data"][0]["model"]["rawSql"]


def test_provisioning_files_are_what_grafana_reads() -> None:
    files = {
        path.relative_to(generate.PROVISIONING).as_posix(): path
        for path in generate.render()
        if "provisioning" in str(path)
    }
    sources = yaml.safe_load(files["datasources/mettiamoci-la-faccia.yaml"].read_text())
    (source,) = sources["datasources"]
    assert source["type"] == "grafana-postgresql-datasource"
    assert source["jsonData"]["timescaledb"] is True
    assert source["secureJsonData"]["password"].startswith("$__file{")
    providers = yaml.safe_load(files["dashboards/mettiamoci-la-faccia.yaml"].read_text())
    assert providers["providers"][0]["type"] == "file"
    groups = yaml.safe_load(files["alerting/mettiamoci-la-faccia.yaml"].read_text())
    assert [r["uid"] for r in groups["groups"][0]["rules"]] == [r["uid"] for r in alerts.rules("http://x")]
