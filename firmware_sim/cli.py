"""`mlf-sim`: press simulated button kiosks against a broker."""

from __future__ import annotations

import argparse
import random
import sys
import time

from pydantic import ValidationError

from firmware_sim.mock_kiosk import SimulatedButtonKiosk
from kiosk.buttons.panel import ButtonPins
from kiosk.core.settings import KioskSettings
from protocol import Face

MAX_KIOSKS_PER_PROCESS = 8


def parse_mix(text: str) -> tuple[float, float, float]:
    """`60:30:10` -> shares of positive, neutral, negative."""
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"mix {text!r} is not three numbers like 60:30:10") from None
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise argparse.ArgumentTypeError(f"mix {text!r} is not three non-negative numbers like 60:30:10")
    total = sum(parts)
    return parts[0] / total, parts[1] / total, parts[2] / total


def faces_for(count: int, mix: tuple[float, float, float], seed: int) -> list[Face]:
    """Exactly `count` faces in the given proportions (largest remainder), in a shuffled order."""
    exact = [share * count for share in mix]
    counts = [int(x) for x in exact]
    for i in sorted(range(3), key=lambda i: exact[i] - counts[i], reverse=True)[: count - sum(counts)]:
        counts[i] += 1
    faces = [face for face, n in zip(Face, counts, strict=True) for _ in range(n)]
    random.Random(seed).shuffle(faces)
    return faces


def _settings(args: argparse.Namespace, kiosk_id: str, service_point: str) -> KioskSettings:
    return KioskSettings(
        kiosk_id=kiosk_id,
        organisation=args.org,
        service_point=service_point,
        mqtt_host=args.host,
        mqtt_port=args.port,
    )


def cmd_press(args: argparse.Namespace) -> int:
    sim = SimulatedButtonKiosk(_settings(args, args.kiosk, args.service_point))
    sim.start()
    faces = faces_for(args.count, args.mix, args.seed)
    for face in faces:
        sim.press(face)
        if args.interval:
            time.sleep(args.interval)
    ok = sim.kiosk.wait_until_sent(timeout=60)
    sim.stop()
    tally = {face.value: faces.count(face) for face in Face}
    print(f"pressed {len(faces)} on {args.kiosk}: {tally}; broker acknowledged: {'all' if ok else 'NOT all'}")
    return 0 if ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    """Several kiosks pressing at random until interrupted: the demo's citizens."""
    rng = random.Random(args.seed)
    if not 1 <= args.kiosks <= MAX_KIOSKS_PER_PROCESS:
        raise ValueError(f"--kiosks must be between 1 and {MAX_KIOSKS_PER_PROCESS} (one mock GPIO header)")
    sims = []
    for i in range(1, args.kiosks + 1):
        pins = ButtonPins(*range(3 * i - 1, 3 * i + 2))  # GPIO2-4 for the first kiosk, 5-7 for the next...
        sim = SimulatedButtonKiosk(_settings(args, f"{args.org}-k{i}", f"{args.org}-sportello-{i}"), pins)
        sim.start()
        sims.append(sim)
    # Each counter has its own mood, the last one deliberately worse.
    moods = [(0.8, 0.15, 0.05)] * (len(sims) - 1) + [(0.45, 0.2, 0.35)]
    presses = 0
    try:
        while args.count is None or presses < args.count:
            i = rng.randrange(len(sims))
            face = rng.choices(list(Face), weights=moods[i])[0]
            sims[i].press(face)
            presses += 1
            time.sleep(rng.expovariate(1 / args.interval))
    except KeyboardInterrupt:
        pass
    finally:
        for sim in sims:
            sim.stop()
    print(f"pressed {presses} times on {len(sims)} kiosk(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlf-sim", description="Simulated push-button kiosks.")
    parser.add_argument("--host", default="127.0.0.1", help="MQTT broker host")
    parser.add_argument("--port", type=int, default=11883, help="MQTT broker port (default: the demo's 11883)")
    parser.add_argument("--org", default="demo", help="organisation id")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same presses)")
    sub = parser.add_subparsers(dest="command", required=True)
    press = sub.add_parser("press", help="press one kiosk N times with a given mix of faces")
    press.add_argument("--kiosk", default="sim-k1")
    press.add_argument("--service-point", default="sim-sportello-1")
    press.add_argument("--count", type=int, default=100)
    press.add_argument("--mix", type=parse_mix, default=(0.6, 0.3, 0.1), help="positive:neutral:negative")
    press.add_argument("--interval", type=float, default=0.0, help="seconds between presses")
    press.set_defaults(func=cmd_press)
    run = sub.add_parser("run", help="several kiosks pressing at random until Ctrl-C")
    run.add_argument("--kiosks", type=int, default=3)
    run.add_argument("--interval", type=float, default=1.0, help="mean seconds between presses")
    run.add_argument("--count", type=int, default=None, help="stop after this many presses")
    run.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        print(f"mlf-sim: error: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except (OSError, ConnectionError, ValueError) as exc:
        print(f"mlf-sim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
