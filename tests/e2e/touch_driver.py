"""Runs the real `mlf-kiosk-touch` program and presses keys on it as a USB keypad would, from inside its process.

    python -m tests.e2e.touch_driver --keys 2,3,2 --out screens.json [--wait-config] -- --window 800x480

The arguments after `--` are the program's own (`kiosk.touch.main.main`), its settings come from the
environment as usual. Once the kiosk is connected (and, with `--wait-config`, runs on the collector's
configuration), each key is sent through Kivy's window, exactly where a keypad's key arrives; what the
screen shows before each key and at the end (screen, question, tiles, language buttons) is written to
`--out` as JSON. The program stops when the collector has acknowledged every rating (its watermark),
so the caller can read the API at once. Headless with `SDL_VIDEODRIVER=offscreen`.

A `@` among the keys waits for a configuration change made meanwhile by the caller: the screens seen
so far (the current one included) are written to `--out`, then the driver waits for the file `--out`
+ `.revision` to name a config revision, for the kiosk to run on it (or a later one) and to be back
on its idle screen, and goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.touch import main as touch_main
from kiosk.touch.settings import TouchKioskSettings

POLL_S = 0.2
KEY_GAP_S = 0.5
CONFIG_CHANGE = ord("@")


def snapshot(app: Any) -> dict[str, Any]:
    screens = app.root.ids.screens
    current = screens.current_screen
    ids = current.ids
    tiles = [t.text for t in current.tiles()] if hasattr(current, "tiles") else []
    faces = current.faces() if hasattr(current, "faces") else ids.get("faces")  # idle's, or the face step's
    return {
        "screen": screens.current,
        "question": ids.question.text if "question" in ids else "",
        "service": ids.service.text if "service" in ids else "",
        "tiles": tiles,
        "faces": [b.label for b in faces.buttons()] if faces is not None else [],
        "languages": [t.text for t in reversed(app.root.ids.languages.children)],
        "config_revision": app.kiosk.flow_config().revision,
    }


def write(seen: list[dict[str, Any]], out: Path) -> None:
    """Whole or not at all: the caller may be reading it."""
    part = out.with_name(out.name + ".part")
    part.write_text(json.dumps(seen, ensure_ascii=False, indent=1))
    part.replace(out)


def drive(keys: list[int], out: Path, wait_config: bool, gap_s: float = KEY_GAP_S) -> None:
    """Schedule the presses on Kivy's clock, to run once the program's app is up (called after the
    program's own `configure_kivy`, so Kivy starts exactly as it would without us)."""
    from kivy.app import App
    from kivy.clock import Clock

    seen: list[dict[str, Any]] = []

    def ready(app: Any) -> bool:
        if app is None or app.root is None or not app.online:
            return False
        return not wait_config or app.kiosk.flow_config().revision is not None

    def start(_dt: float) -> None:
        app = App.get_running_app()
        if not ready(app):
            Clock.schedule_once(start, POLL_S)
            return
        Clock.schedule_once(lambda _dt: press(app, 0), KEY_GAP_S)  # the configuration drawn

    def press(app: Any, index: int) -> None:
        seen.append(snapshot(app))
        if index == len(keys):
            write(seen, out)
            Clock.schedule_once(lambda _dt: stop_when_acknowledged(app), POLL_S)
            return
        if keys[index] == CONFIG_CHANGE:
            write(seen, out)  # the caller reads it while we wait
            Clock.schedule_once(lambda _dt: wait_for_revision(app, index), POLL_S)
            return
        from kivy.core.window import Window  # made by now, by the program

        Window.dispatch("on_key_down", keys[index], 0, None, [])
        Window.dispatch("on_key_up", keys[index], 0)
        Clock.schedule_once(lambda _dt: press(app, index + 1), gap_s)

    def wait_for_revision(app: Any, index: int) -> None:
        wanted = out.with_name(out.name + ".revision")
        text = wanted.read_text() if wanted.exists() else ""
        revision = app.kiosk.flow_config().revision
        if text.strip() and revision is not None and revision >= int(text) and app.root.ids.screens.current == "idle":
            Clock.schedule_once(lambda _dt: press(app, index + 1), KEY_GAP_S)  # the new configuration drawn
        else:
            Clock.schedule_once(lambda _dt: wait_for_revision(app, index), POLL_S)

    def stop_when_acknowledged(app: Any) -> None:
        state = app.kiosk.state()
        if state.last_seq and state.watermark >= state.last_seq:
            app.stop()
        else:
            Clock.schedule_once(lambda _dt: stop_when_acknowledged(app), POLL_S)

    Clock.schedule_once(start, POLL_S)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ours, theirs = (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    parser = argparse.ArgumentParser(prog="touch_driver")
    parser.add_argument(
        "--keys",
        required=True,
        help="digits to press, comma-separated (1-3 faces, 0 skip); @ waits for a config change",
    )
    parser.add_argument("--out", type=Path, required=True, help="where to write what the screen showed")
    parser.add_argument("--wait-config", action="store_true", help="press only once the collector's config is in")
    parser.add_argument("--gap", type=float, default=KEY_GAP_S, help="seconds between keys (more than a cooldown)")
    options = parser.parse_args(ours)
    program_run = touch_main.run

    def run(settings: TouchKioskSettings) -> int:
        touch_main.configure_kivy(settings.touch, settings.data_dir)  # what `run` does first (idempotent)
        drive([ord(k) for k in options.keys.split(",")], options.out, options.wait_config, options.gap)
        return program_run(settings)

    touch_main.run = run
    return touch_main.main(theirs)


if __name__ == "__main__":
    sys.exit(main())
