"""Bytes on the wire <-> payload models. Nothing else in the repository builds a payload dict."""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from pydantic import ValidationError

from protocol.errors import ProtocolError
from protocol.messages import WireModel
from protocol.topics import SPECS, Topic, TopicKind, parse_topic

MAX_PAYLOAD_BYTES = 16 * 1024
"""Larger payloads are refused unread: the biggest legitimate one (a config) is a few KiB."""

M = TypeVar("M", bound=WireModel)


class Message(NamedTuple):
    topic: Topic
    payload: WireModel


def encode(message: WireModel) -> bytes:
    """Compact UTF-8 JSON; optional fields that are unset are left out."""
    return message.model_dump_json(exclude_none=True).encode()


def decode_as(model: type[M], payload: bytes) -> M:
    """Validate `payload` as `model`; `ProtocolError` says which field is wrong and why."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("too_large", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("not_utf8", f"payload is not UTF-8 text (byte {exc.start})") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if errors and errors[0]["type"] == "json_invalid":
            raise ProtocolError("not_json", f"payload is not JSON: {errors[0]['msg']}") from None
        raise ProtocolError("schema", describe(exc, model.__name__)) from None


def decode(kind: TopicKind, payload: bytes) -> WireModel:
    return decode_as(SPECS[TopicKind(kind)].payload, payload)


def parse_message(topic: str, payload: bytes) -> Message:
    """Parse topic and payload together and check that they agree on the kiosk's identity."""
    parsed = parse_topic(topic)
    message = decode(parsed.kind, payload)
    kiosk_id = getattr(message, "kiosk_id", None)
    if kiosk_id is not None and kiosk_id != parsed.kiosk_id:
        raise ProtocolError(
            "identity_mismatch",
            f"payload kiosk_id {kiosk_id!r} does not match topic kiosk {parsed.kiosk_id!r}",
        )
    return Message(parsed, message)


def describe(exc: ValidationError, model_name: str, limit: int = 5) -> str:
    """One readable line per problem, e.g. `face: Input should be 'positive', ... (got 'happy')`."""
    lines = []
    for error in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or model_name
        got = ""
        if error["type"] not in ("missing", "extra_forbidden") and error["loc"]:
            got = f" (got {_short(error.get('input'))})"
        lines.append(f"{where}: {error['msg']}{got}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return f"invalid {model_name}: " + "; ".join(lines)


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
