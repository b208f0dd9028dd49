"""Writes the touch kiosk's short sounds (kiosk/touch/audio/*.wav): soft sine tones, no samples of anyone's.

    .venv/bin/python scripts/make_kiosk_sounds.py

A face's sound is short and gentle (a rising pair for green, one note for yellow, a lower one
for red: never an alarm); the thank-you is a two-note chime. 16-bit mono, 22.05 kHz.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "kiosk" / "touch" / "audio"
NOTES = {  # name -> [(frequency Hz, start s, duration s)]
    "positive": [(659.3, 0.0, 0.09), (880.0, 0.07, 0.12)],
    "neutral": [(587.3, 0.0, 0.14)],
    "negative": [(440.0, 0.0, 0.16)],
    "thanks": [(784.0, 0.0, 0.35), (1046.5, 0.09, 0.4)],
}


def render(notes: list[tuple[float, float, float]]) -> bytes:
    length = max(start + duration for _, start, duration in notes)
    samples = [0.0] * int(RATE * length)
    for frequency, start, duration in notes:
        first = int(RATE * start)
        for i in range(int(RATE * duration)):
            t = i / RATE
            envelope = min(1.0, t / 0.008) * math.exp(-t * 9)  # a soft attack, then a bell-like decay
            samples[first + i] += 0.32 * envelope * math.sin(2 * math.pi * frequency * t)
    return b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32767)) for s in samples)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, notes in NOTES.items():
        with wave.open(str(OUT / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(render(notes))
        print(f"wrote {OUT / name}.wav")


if __name__ == "__main__":
    main()
