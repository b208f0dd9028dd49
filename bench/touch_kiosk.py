"""The touch kiosk, headless (SDL offscreen, GL through Mesa), as the tests run it. Three figures:

  latency   touch -> thank-you screen drawn (target: p99 <= 50 ms). The real app and kiosk core in this
            process, its MQTT link connected to a real mosquitto, Kivy at its default 60 frames/s. A touch
            enters through Kivy's input path (`UnitTestTouch`, where a finger's would); the time runs
            until the frame showing the thank-you is on screen (swapped and drawn: see `Harness.run`), so it
            includes the durable write of the rating (SQLite, synchronous=FULL), the wait for the next
            frame and the drawing of that frame.
            Also: red face -> reasons drawn, and reason -> thank-you drawn.
  start     cold start to the idle screen (target: <= 5 s): the `mlf-kiosk-touch` program started as
            systemd starts it, until it says READY=1 on $NOTIFY_SOCKET (sent when the first frame is drawn).
  memory    resident memory (target: <= 200 MB, flat after 10,000 ratings): the real app with the
            collector and PostgreSQL behind the broker (so ratings are acknowledged, as in an office),
            10,000 ratings touched in (every fourth red, with a reason), frames as fast as they come;
            VmRSS from /proc/self/status every 1,000: right after a citizen, and again after 3 s without
            a touch (as between two citizens; the kiosk tidies its memory at idle).

    .venv/bin/python bench/touch_kiosk.py [--touches 1000] [--starts 5] [--ratings 10000]

Each part runs in a process of its own (Kivy's window and settings are per process).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk_stack import RunningCollector, broker_only, collector, machine_note, postgres, scratch

BENCH = Path(__file__).resolve()
ROOT = BENCH.parents[1]
SIZE = (800, 480)
REST_S = 3.0
"""In the memory part, after every 1,000 ratings: no touch for this long, as between two citizens."""


def kivy_environment(screen: Any, data_dir: Path, maxfps: int) -> None:
    """Before Kivy is imported: what the program sets (`configure_kivy`), headless, and the frame rate."""
    from kiosk.touch.main import configure_kivy

    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="mlf-bench-kivy-")
    configure_kivy(screen, data_dir)
    from kivy.config import Config

    Config.set("graphics", "maxfps", str(maxfps))


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def breakdown_mb(pid: int | str = "self") -> tuple[float, float]:
    """(anonymous memory, pages of Mesa's software renderer's code: libLLVM and the swrast driver) in MB.

    The renderer's pages are shared, clean file pages that a device with a GPU driver does not map."""
    anonymous = renderer = 0
    mapping = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if not line[:1].isupper():  # a mapping's header: address range, permissions, ..., path
            mapping = line.split()[-1] if len(line.split()) > 5 else ""
        elif line.startswith("Rss:") and ("libLLVM" in mapping or "swrast" in mapping):
            renderer += int(line.split()[1])
        elif line.startswith("Anonymous:"):
            anonymous += int(line.split()[1])
    return anonymous / 1024, renderer / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Harness:
    """The real touch app over a real `Kiosk`, driven by touches scheduled on its own frames."""

    def __init__(self, port: int, maxfps: int) -> None:
        from kiosk.touch.settings import TouchKioskSettings

        settings = TouchKioskSettings(
            kiosk_id="bench-touch",
            organisation="bench",
            service_point="bench-sp",
            data_dir=scratch("touch"),
            mqtt_port=port,
            clock_synced="yes",
            cooldown_s=0,
            thank_you_s=60,  # the harness sends the flow back to idle itself (cancel), not a timer
            log_level="WARNING",
            touch={"fullscreen": False, "window_size": f"{SIZE[0]}x{SIZE[1]}"},
        )
        kivy_environment(settings.touch, settings.data_dir, maxfps)
        from kiosk.core.kiosk import Kiosk
        from kiosk.touch.app import TouchKioskApp

        self.kiosk = Kiosk(settings)
        self.app = TouchKioskApp(self.kiosk, settings.touch)
        self._waiting: tuple[str, Callable[[], None]] | None = None
        self.ignored: str | None = None
        self.kiosk.add_listener(self._ignored)

    def _ignored(self, event: object) -> None:
        """A press the kiosk ignored (a cooldown from the collector's config) would stall the script for ever."""
        from kivy.clock import Clock

        from kiosk.core.face_api import PressIgnored

        if isinstance(event, PressIgnored) and self.ignored is None:
            self.ignored = event.why
            Clock.schedule_once(lambda _dt: self.app.stop(), 0)

    def run(self, script: Callable[[], None]) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window
        from kivy.graphics.opengl import glFinish

        swap = Window.flip

        def flip() -> None:
            # Headless, SDL's offscreen driver swaps an EGL pbuffer, and that swap draws nothing: llvmpipe
            # only bins the frame and rasterizes when its scene is full, every ~8 frames of these screens,
            # ~170 ms of drawing at once inside whichever frame overflows it (bench/README.md). A window's
            # swap (a Pi's, a laptop's) draws each frame: so each frame is finished here.
            swap()
            glFinish()
            self._flipped()

        Window.flip = flip
        Clock.schedule_once(lambda _dt: self.when_drawn("idle", script), 0)
        self.kiosk.start()
        try:
            self.app.run()
        finally:
            self.kiosk.stop()
        if self.ignored:
            raise RuntimeError(f"the kiosk ignored a press ({self.ignored}): no figures")

    def when_drawn(self, screen: str, then: Callable[[], None]) -> None:
        """Call `then` right after the first frame that shows `screen` has been drawn."""
        self._waiting = (screen, then)

    def _flipped(self) -> None:
        if self._waiting and self.app.root and self.app.root.ids.screens.current == self._waiting[0]:
            then, self._waiting = self._waiting[1], None
            then()

    def touch(self, widget: Any) -> float:
        """A finger on `widget`'s centre; returns when it went down (perf_counter)."""
        from kivy.base import EventLoop

        touch = finger(*widget.to_window(*widget.center))
        started = time.perf_counter()
        EventLoop.post_dispatch_input("begin", touch)
        EventLoop.post_dispatch_input("end", touch)
        return started

    def faces(self) -> list[Any]:
        return list(self.app.root.ids.screens.get_screen("idle").faces().buttons())

    def reasons(self) -> list[Any]:
        return list(self.app.root.ids.screens.get_screen("reason").tiles())

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: action(), seconds)


def finger(x: float, y: float) -> Any:
    """A touch at window position (x, y), as Kivy's `UnitTestTouch` makes it (kivy.tests.common), without
    that module's imports (pytest: 11 MB that the memory part would count as the kiosk's)."""
    from kivy.base import EventLoop
    from kivy.input.motionevent import MotionEvent

    class Finger(MotionEvent):  # type: ignore[misc]  # Kivy ships no type hints
        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

    window = EventLoop.window
    touch = Finger("bench", 99, {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)}, is_touch=True)
    touch.profile = ["pos"]
    return touch


def part_latency(touches: int) -> None:
    with broker_only() as stack:
        h = Harness(stack.broker.port, maxfps=60)
        rows: dict[str, list[float]] = {"face -> thank you": [], "red -> reasons": [], "reason -> thank you": []}
        count = [0]

        def drawn(row: str, started: float, then: Callable[[], None]) -> Callable[[], None]:
            def record() -> None:
                rows[row].append((time.perf_counter() - started) * 1000)
                then()

            return record

        def next_citizen() -> None:
            if count[0] == touches:
                h.app.stop()
                return
            count[0] += 1
            if count[0] % 5 == 0:  # a red face, then a reason
                started = h.touch(h.faces()[2])
                h.when_drawn("reason", drawn("red -> reasons", started, lambda: h.later(0.05, reason)))
            else:
                started = h.touch(h.faces()[count[0] % 2])
                h.when_drawn("thank_you", drawn("face -> thank you", started, back))

        def reason() -> None:
            started = h.touch(h.reasons()[count[0] % 4])
            h.when_drawn("thank_you", drawn("reason -> thank you", started, back))

        def back() -> None:
            h.kiosk.cancel()  # thank-you over: idle for the next citizen
            h.when_drawn("idle", lambda: h.later(0.05, next_citizen))

        h.run(next_citizen)
        print(f"touch kiosk, 800 x 480, 60 frames/s, {touches} citizens, {renderer()}; {machine_note()}; load {load()}")
        print(f"{'row':<22}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for row, values in rows.items():
            print(
                f"{row:<22}{len(values):>6}{statistics.median(values):>9.1f}"
                f"{percentile(values, 99):>9.1f}{max(values):>9.1f}"
            )


def part_memory(ratings: int) -> None:
    """Broker, PostgreSQL and collector here; the kiosk in a process of its own, which imports only what the
    kiosk and its driving need (this one holds psycopg, from making the database)."""
    with broker_only() as stack, postgres() as database_url, collector(database_url, stack.broker) as office:
        register(office)
        command = ["--part", "memory-kiosk", "--ratings", str(ratings), "--port", str(stack.broker.port)]
        subprocess.run([sys.executable, str(BENCH), *command], check=True)


def memory_kiosk(ratings: int, port: int) -> None:
    h = Harness(port, maxfps=0)
    marks: list[tuple[int, float, float, float, float]] = []
    count = [0]

    def next_citizen() -> None:
        if count[0] % 1000 == 0 or count[0] == ratings:
            busy = (rss_mb(), *breakdown_mb())  # right after a citizen
            h.later(REST_S, lambda: rested(*busy))  # then as between two citizens (the kiosk tidies at idle)
            return
        more()

    def rested(rss: float, anonymous: float, renderer: float) -> None:
        marks.append((count[0], rss, anonymous, renderer, rss_mb()))
        if count[0] == ratings:
            h.app.stop()
        else:
            more()

    def more() -> None:
        count[0] += 1
        if count[0] % 4 == 0:
            h.touch(h.faces()[2])
            h.when_drawn("reason", reason)
        else:
            h.touch(h.faces()[count[0] % 2])
            h.when_drawn("thank_you", back)

    def reason() -> None:
        h.touch(h.reasons()[count[0] % 4])
        h.when_drawn("thank_you", back)

    def back() -> None:
        h.kiosk.cancel()
        h.when_drawn("idle", next_citizen)

    started = time.monotonic()
    h.run(next_citizen)
    state = h.kiosk.state()
    took = time.monotonic() - started
    print(f"touch kiosk, {ratings} ratings in {took:.0f} s, {renderer()}; {machine_note()}; load {load()}")
    print(f"outbox at the end: last seq {state.last_seq}, acknowledged {state.watermark}")
    print("ratings         " + "".join(f"{n:>8}" for n, *_ in marks))
    print("RSS MB          " + "".join(f"{m[1]:>8.1f}" for m in marks))
    print("  anonymous     " + "".join(f"{m[2]:>8.1f}" for m in marks))
    print("  GL sw code    " + "".join(f"{m[3]:>8.1f}" for m in marks))
    print(f"RSS at rest {REST_S:.0f} s" + "".join(f"{m[4]:>8.1f}" for m in marks))
    first, last = marks[1], marks[-1]
    print(
        f"RSS from {first[0]:,} to {ratings:,} ratings: {last[1] - first[1]:+.1f} MB"
        f" (at rest: {last[4] - first[4]:+.1f} MB)"
    )


def register(office: RunningCollector) -> None:
    """The kiosk registered with a cooldown of 0, as the harness's own settings have it: the collector's
    configuration wins over local settings, and its default cooldown (3 s) would ignore the harness's presses."""
    office.admin("POST", "/v1/organisations", {"id": "bench", "name": "Bench"})
    office.admin("POST", "/v1/organisations/bench/service-points", {"id": "bench-sp", "name": "Bench counter"})
    office.admin("POST", "/v1/kiosks", {"id": "bench-touch", "service_point": "bench-sp"})
    office.admin("PUT", "/v1/kiosks/bench-touch/settings", {"cooldown_s": 0, "languages": ["it", "en"]})


def part_start(starts: int) -> None:
    with broker_only() as stack:
        times: list[float] = []
        memory: list[tuple[float, float, float]] = []
        for n in range(starts):
            folder = scratch(f"start{n}")
            address = str(folder / "notify.sock")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.bind(address)
                sock.settimeout(60)
                env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "KIVY_"))}
                env |= {
                    "SDL_VIDEODRIVER": "offscreen",
                    "NOTIFY_SOCKET": address,
                    "KIOSK_KIOSK_ID": "bench-start",
                    "KIOSK_ORGANISATION": "bench",
                    "KIOSK_SERVICE_POINT": "bench-sp",
                    "KIOSK_DATA_DIR": str(folder / "kiosk"),
                    "KIOSK_MQTT_PORT": str(stack.broker.port),
                    "KIOSK_LOG_LEVEL": "WARNING",
                }
                started = time.monotonic()
                process = subprocess.Popen(
                    [sys.executable, "-m", "kiosk.touch.main", "--window", "800x480"], cwd=ROOT, env=env
                )
                try:
                    while b"READY=1" not in sock.recv(4096):
                        pass
                    times.append(time.monotonic() - started)
                    memory.append((rss_mb(process.pid), *breakdown_mb(process.pid)))
                finally:
                    process.terminate()
                    process.wait(30)
        print(f"touch kiosk cold start to the idle screen drawn, {starts} starts; {machine_note()}; load {load()}")
        print("seconds " + "  ".join(f"{t:.2f}" for t in times) + f"   (median {statistics.median(times):.2f})")
        print("RSS MB at ready " + "  ".join(f"{m[0]:.1f}" for m in memory))
        anonymous, renderer = statistics.median(m[1] for m in memory), statistics.median(m[2] for m in memory)
        print(f"  of which anonymous {anonymous:.1f}, Mesa's software renderer's code {renderer:.1f} (medians)")


def renderer() -> str:
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    name = glGetString(GL_RENDERER).decode(errors="replace")
    return f"{name}, LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', 'unset')}"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--part", choices=("all", "latency", "start", "memory", "memory-kiosk"), default="all")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)  # memory-kiosk: the broker's
    parser.add_argument("--touches", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--ratings", type=int, default=10_000)
    parser.add_argument(
        "--mesa-threads",
        type=int,
        help="LP_NUM_THREADS for Mesa's software renderer (the kiosk sets 0; Mesa's own default: one per core)",
    )
    args = parser.parse_args()
    if args.mesa_threads is not None:
        os.environ["LP_NUM_THREADS"] = str(args.mesa_threads)
    if args.part == "latency":
        part_latency(args.touches)
    elif args.part == "start":
        part_start(args.starts)
    elif args.part == "memory":
        part_memory(args.ratings)
    elif args.part == "memory-kiosk":
        memory_kiosk(args.ratings, args.port)
    else:
        cores = str(os.cpu_count() or 1)
        runs = [
            ["--part", "start", "--starts", str(args.starts)],
            ["--part", "latency", "--touches", str(args.touches)],
            ["--part", "latency", "--touches", str(args.touches), "--mesa-threads", cores],
            ["--part", "memory", "--ratings", str(args.ratings)],
            ["--part", "memory", "--ratings", str(min(args.ratings, 1500)), "--mesa-threads", cores],
        ]
        for run in runs:
            print("$ bench/touch_kiosk.py " + " ".join(run))
            subprocess.run([sys.executable, str(BENCH), *run], check=True)
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
