"""docs/mqtt.md, docs/schema/ and docs/asyncapi.json are generated from protocol/ and must not drift."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from protocol import TopicKind, decode
from protocol.export import SHELL_NOW, asyncapi, main, rendered
from protocol.topics import SPECS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_docs_match_the_models() -> None:
    assert main(["check", "--docs", str(DOCS)]) == 0


def test_check_notices_a_drift(tmp_path: Path) -> None:
    for path, text in rendered(DOCS).items():
        target = tmp_path / path.relative_to(DOCS)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    assert main(["check", "--docs", str(tmp_path)]) == 0
    schema = tmp_path / "schema" / "Rating.json"
    schema.write_text(schema.read_text().replace('"face"', '"mood"'))
    assert main(["check", "--docs", str(tmp_path)]) == 1


def test_every_topic_is_documented_with_a_valid_copy_paste_example() -> None:
    """What a kiosk publishes: a mosquitto_pub as the kiosk (its user name and password) whose payload (with
    the time the shell puts in) is valid. What only the collector publishes: a mosquitto_sub as the kiosk to
    read it, never an invitation to publish there (the broker lets only the collector publish those)."""
    text = (DOCS / "mqtt.md").read_text()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    login = r'-u roma-anagrafe-k1 -P "\$KIOSK_MQTT_PASSWORD"'
    for kind, spec in SPECS.items():
        assert f"### `{kind.value}`" in text
        if spec.publisher == "collector":
            assert re.search(rf"mosquitto_sub .*{login} .* -t mlf/v1/\S+/{kind.value} ", text), kind
            assert not re.search(rf"mosquitto_pub .* -t mlf/v1/\S+/{kind.value} ", text), kind
            continue
        line = re.search(
            rf"mosquitto_pub .*{login} .*-q {spec.qos}{' -r' if spec.retain else ''} -t mlf/v1/\S+/{kind.value} "
            r"\\\n  -m '(.*)'",
            text,
        )
        assert line, f"no mosquitto_pub example for {kind.value}"
        payload = line.group(1).replace(SHELL_NOW, now).replace("'\"'\"'", "'")
        decode(kind, payload.encode())


def test_asyncapi_lists_every_topic_with_its_qos_and_retain() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    for kind, spec in SPECS.items():
        channel = doc["channels"][kind.value]
        assert channel["address"].endswith(f"/{kind.value}")
        ops = [op for op in doc["operations"].values() if op["channel"]["$ref"] == f"#/channels/{kind.value}"]
        assert ops
        assert ops[0]["bindings"]["mqtt"] == {"qos": spec.qos, "retain": spec.retain}
    json.dumps(doc)
    assert TopicKind.RATING.value in doc["channels"]
