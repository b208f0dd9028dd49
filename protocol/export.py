"""Export the contract for people and tools: JSON Schema, AsyncAPI, and the topic reference in docs/mqtt.md.

`mlf-protocol export` rewrites the files; `mlf-protocol check` fails when any of
them differs from what the models say (the test suite runs it).
"""

from __future__ import annotations

import argparse
import difflib
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from protocol.messages import WireModel, example
from protocol.topics import PREFIX, SPECS, VERSION, TopicKind, TopicSpec

DOC_BROKER = "-h localhost -p 11883"
"""Broker address used in the copy-paste examples: the local demo stack from the README."""
DOC_LOGIN = '-u {kiosk} -P "$KIOSK_MQTT_PASSWORD"'
"""The kiosk's credentials in the examples: user name = kiosk id, its password from registration."""

BEGIN = "<!-- BEGIN GENERATED: topics (mlf-protocol export) -->"
END = "<!-- END GENERATED: topics -->"
EXAMPLE_ORG = "roma"
PROTOCOL_VERSION = "1.1.0"
NOW = "@NOW@"
NOW_FIELDS = ("pressed_at", "sent_at")
"""Times the shell examples take from the clock when run, so the collector sees a sensible kiosk clock."""
SHELL_NOW = "'\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"'"
"""Closes the single-quoted payload, inserts the current UTC time, reopens it."""


def _models() -> list[type[WireModel]]:
    return [spec.payload for spec in SPECS.values()]


def json_schemas() -> dict[str, dict[str, Any]]:
    """One standalone JSON Schema (2020-12) per payload model."""
    out = {}
    for model in _models():
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://mettiamoci-la-faccia.example/schema/{VERSION}/{model.__name__}.json"
        out[model.__name__] = schema
    return out


def _example_json(spec: TopicSpec) -> str:
    return example(spec.payload).model_dump_json(exclude_none=True)


def _shell_example(spec: TopicSpec) -> list[str]:
    """A copy-paste command: publish as the kiosk does, or, for what only the collector publishes, read it."""
    topic = shlex.quote(_example_topic(spec))
    login = DOC_LOGIN.format(kiosk=getattr(example(SPECS[TopicKind.RATING].payload), "kiosk_id", "k1"))
    if spec.publisher == "collector":
        # A registered kiosk's config is published within COLLECTOR_PROVISIONING_INTERVAL_S (30 s).
        return [f"mosquitto_sub {DOC_BROKER} {login} -V mqttv5 -t {topic} -C 1 -W 40   # read the retained one"]
    payload = json.loads(_example_json(spec))
    for field in NOW_FIELDS:
        if field in payload:
            payload[field] = NOW
    flags = f"-V mqttv5 -q {spec.qos}" + (" -r" if spec.retain else "")
    quoted = shlex.quote(json.dumps(payload, separators=(",", ":"), ensure_ascii=False)).replace(NOW, SHELL_NOW)
    return [f"mosquitto_pub {DOC_BROKER} {login} {flags} -t {topic} \\", f"  -m {quoted}"]


def _example_topic(spec: TopicSpec) -> str:
    kiosk_id = getattr(example(SPECS[TopicKind.RATING].payload), "kiosk_id", "k1")
    return f"{PREFIX}/{VERSION}/{EXAMPLE_ORG}/{kiosk_id}/{spec.kind.value}"


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 document, written from the kiosk's point of view."""
    _, defs = models_json_schema([(m, "validation") for m in _models()], ref_template="#/components/schemas/{model}")
    params = {
        "org": {"description": "Organisation identifier (lower-case slug)."},
        "kiosk_id": {"description": "Kiosk identifier (lower-case slug); also its MQTT user name."},
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in SPECS.values():
        name = spec.payload.__name__
        messages[name] = {
            "name": name,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "examples": [{"payload": json.loads(_example_json(spec))}],
        }
        channels[spec.kind.value] = {
            "address": f"{PREFIX}/{VERSION}/{{org}}/{{kiosk_id}}/{spec.kind.value}",
            "description": spec.description,
            "parameters": params,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"{'send' if spec.publisher == 'kiosk' else 'receive'}_{spec.kind.value}"] = {
            "action": "send" if spec.publisher == "kiosk" else "receive",
            "channel": {"$ref": f"#/channels/{spec.kind.value}"},
            "bindings": {"mqtt": {"qos": spec.qos, "retain": spec.retain}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mettiamoci la faccia: kiosk protocol",
            "version": PROTOCOL_VERSION,
            "description": "MQTT v5 contract between feedback kiosks and the collector. See docs/mqtt.md.",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "localhost:11883", "protocol": "mqtt", "protocolVersion": "5"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": defs["$defs"]},
    }


def topics_markdown() -> str:
    """The generated part of docs/mqtt.md: one section per topic."""
    out = [BEGIN, ""]
    out.append("| topic | payload | QoS | retained | published by |")
    out.append("|---|---|---|---|---|")
    for spec in SPECS.values():
        out.append(
            f"| `{PREFIX}/{VERSION}/<org>/<kiosk_id>/{spec.kind.value}` | [{spec.payload.__name__}]"
            f"(schema/{spec.payload.__name__}.json) | {spec.qos} | {'yes' if spec.retain else 'no'} "
            f"| {spec.publisher} |"
        )
    for spec in SPECS.values():
        pretty = json.dumps(json.loads(_example_json(spec)), indent=2, ensure_ascii=False)
        out += [
            "",
            f"### `{spec.kind.value}`",
            "",
            spec.description,
            "",
            f"Payload `{spec.payload.__name__}`, QoS {spec.qos}, {'retained' if spec.retain else 'not retained'}, "
            f"published by the {spec.publisher}"
            + (" only (the broker refuses a kiosk's publish here)" if spec.publisher == "collector" else "")
            + ". Example:",
            "",
            "```json",
            pretty,
            "```",
            "",
            "```sh",
            *_shell_example(spec),
            "```",
        ]
    out += ["", END]
    return "\n".join(out)


def rendered(docs: Path) -> dict[Path, str]:
    """Every generated file under `docs/` with the text it should have."""
    files = {
        docs / "schema" / f"{name}.json": json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in json_schemas().items()
    }
    files[docs / "asyncapi.json"] = json.dumps(asyncapi(), indent=2, ensure_ascii=False) + "\n"
    mqtt_md = docs / "mqtt.md"
    current = mqtt_md.read_text(encoding="utf-8") if mqtt_md.exists() else f"# MQTT protocol\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{mqtt_md}: markers {BEGIN!r} and {END!r} are missing")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    files[mqtt_md] = head + topics_markdown() + tail
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlf-protocol", description=__doc__)
    parser.add_argument("action", choices=["export", "check"])
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="docs folder (default: ./docs)")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered(args.docs).items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old == text:
            continue
        if args.action == "export":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        else:
            stale.append(path)
            sys.stdout.writelines(
                difflib.unified_diff(old.splitlines(True), text.splitlines(True), str(path), "models")
            )
    if stale:
        print(f"\n{len(stale)} file(s) drifted from protocol/: run `mlf-protocol export`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
