"""The generated parts of deploy/kiosk/README.md: wiring table, settings reference, legend card.

`python -m kiosk.buttons.docs [README]` rewrites them from the code; a test fails when
the README drifts, so the installer's instructions always match what the kiosk does.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from kiosk.buttons.settings import ButtonKioskSettings, GpioWiring
from kiosk.buttons.signals import legend

README = Path(__file__).resolve().parents[2] / "deploy" / "kiosk" / "README.md"

HEADER_PIN = {
    2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 5: 29, 6: 31, 13: 33, 19: 35, 26: 37,
    14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 12: 32, 16: 36, 20: 38, 21: 40,
}  # fmt: skip
"""BCM GPIO number -> pin of the 40-pin header (every Raspberry Pi since the B+)."""

EXAMPLE_WIRING = GpioWiring(status_led=19, buzzer=26, reason_buttons=[23, 24, 25, 16], reason_leds=[12, 20, 21, 7])
"""A fully equipped kiosk: what deploy/kiosk/kiosk.example.toml wires."""


def wiring_markdown(wiring: GpioWiring = EXAMPLE_WIRING) -> str:
    parts: list[tuple[str, int | None, str]] = [
        ("green button (positive)", wiring.positive_button, "other leg to GND"),
        ("yellow button (neutral)", wiring.neutral_button, "other leg to GND"),
        ("red button (negative)", wiring.negative_button, "other leg to GND"),
        ("green light", wiring.positive_led, "LED + 330 Ω to GND"),
        ("yellow light", wiring.neutral_led, "LED + 330 Ω to GND"),
        ("red light", wiring.negative_led, "LED + 330 Ω to GND"),
        ("status light (staff)", wiring.status_led, "LED + 330 Ω to GND"),
        ("buzzer (active, 3.3 V)", wiring.buzzer, "− to GND"),
    ]
    parts += [(f"reason button {i + 1}", pin, "other leg to GND") for i, pin in enumerate(wiring.reason_buttons)]
    parts += [(f"reason light {i + 1}", pin, "LED + 330 Ω to GND") for i, pin in enumerate(wiring.reason_leds)]
    lines = ["| part | BCM GPIO | header pin | connect |", "|---|---|---|---|"]
    lines += [f"| {name} | {pin} | {HEADER_PIN[pin]} | {how} |" for name, pin, how in parts if pin is not None]
    return "\n".join(lines)


def settings_markdown() -> str:
    lines = ["| TOML key | environment | default | meaning |", "|---|---|---|---|"]

    def rows(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                rows(annotation, f"{prefix}{name}.")
                continue
            key = f"{prefix}{name}"
            env = "KIOSK_" + key.replace(".", "__").upper()
            default = "required" if field.is_required() else _show(field.get_default(call_default_factory=True))
            lines.append(f"| `{key}` | `{env}` | {default} | {field.description or ''} |")

    rows(ButtonKioskSettings, "")
    return "\n".join(lines)


def _show(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "value"):
        value = value.value
    return f"`{value!s}`" if not isinstance(value, list) else f"`{value}`"


def legend_markdown() -> str:
    return legend().strip()


BLOCKS: dict[str, Callable[[], str]] = {
    "wiring": wiring_markdown,
    "settings": settings_markdown,
    "legend": legend_markdown,
}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"markers for {name!r} are missing")
        block = f"{begin}\n{make()}\n{end}"
        text = pattern.sub(lambda _match: block, text)  # noqa: B023 - used at once, inside this iteration
    return text


def main(argv: list[str] | None = None) -> int:
    path = Path((argv or sys.argv[1:] or [str(README)])[0])
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
