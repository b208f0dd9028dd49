"""`mlf-kiosk-touch` refuses an outbox copied from another device, with one line, until it is adopted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.core.device import local_device_id
from kiosk.core.outbox import Outbox
from tests.fixtures.fix_kiosk import ORG
from tests.fixtures.kiosk_messages import rating


def touch_kiosk(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'kiosk_id = "touch-k1"\norganisation = "{ORG}"\nservice_point = "touch-sportello"\n'
        f'data_dir = "{tmp_path / "data"}"\nmqtt_port = 1\n'  # never reached: it stops before connecting
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "KIVY_"))}
    env |= {"SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")}
    return subprocess.run(
        [sys.executable, "-m", "kiosk.touch.main", "--config", str(config), "--window", "800x480", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_copied_outbox_is_refused_then_adopted(tmp_path: Path) -> None:
    copied = Outbox(tmp_path / "data" / "outbox.sqlite3", "touch-k1", "machine-id:the-broken-one")
    copied.append(lambda seq: rating("touch-k1", seq))
    copied.close()

    refused = touch_kiosk(tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr  # one clear line, no traceback
    assert "mlf-kiosk-touch: error:" in refused.stderr
    assert "was created on another device (machine-id:the-broken-one; this is " in refused.stderr
    assert "--adopt-outbox" in refused.stderr

    adopted = touch_kiosk(tmp_path, "--adopt-outbox")
    assert adopted.returncode == 0, adopted.stderr
    assert "adopted by this device as instance" in adopted.stdout
    assert "1 pending rating(s)" in adopted.stdout
    again = Outbox(tmp_path / "data" / "outbox.sqlite3", "touch-k1", local_device_id())  # now this device's
    assert again.instance != copied.instance
    assert again.stats().depth == 1
    again.close()
