"""Optional short sounds: one per face when it is pressed, and a chime on "thank you" (files shipped here).

Sound never stands in the way: a kiosk without an audio device (or with sounds off) stays silent.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SOUND_DIR = Path(__file__).resolve().parent / "audio"
NAMES = ("positive", "neutral", "negative", "thanks")


class Sounds:
    def __init__(self, enabled: bool) -> None:
        self._sounds: dict[str, Any] = {}
        if not enabled:
            return
        from kivy.core.audio import SoundLoader  # only when wanted: it opens the audio device

        for name in NAMES:
            sound = SoundLoader.load(str(SOUND_DIR / f"{name}.wav"))
            if sound is None:
                log.warning("cannot play %s.wav (no audio device?): the kiosk stays silent", name)
                continue
            self._sounds[name] = sound

    @property
    def loaded(self) -> tuple[str, ...]:
        return tuple(self._sounds)

    def play(self, name: str) -> None:
        sound = self._sounds.get(name)
        if sound is not None:
            try:
                sound.stop()
                sound.play()
            except Exception:
                log.exception("cannot play %s", name)
