"""Mutation score of the rules where a silent bug costs the most (issue 18), one module at a time.

    .venv/bin/python bench/mutation.py [--jobs N] [--keep] [MODULE ...]

Runs mutmut (configured in pyproject.toml, `[tool.mutmut]`: the modules, the fast tests that guard them, the
lines not mutated) over each module of `only_mutate` in turn, then prints the score per module and overall, and
every mutant that survived with its diff. A mutant counts as killed when a test failed or hung on it.

The tests that guard the functions doing nothing without PostgreSQL run on one server started here for the
whole run (in a temporary folder, on a free port, with the migrated template the fixtures use) and handed to
every forked pytest session through `MLF_TEST_PG_SERVER`: a session copies the template per test (a fraction of
a second) instead of starting a server of its own (tests/fixtures/pg_shared.py).

Mutants and results go to `mutants/` (ignored by git): `.venv/bin/mutmut show NAME` and `mutmut browse` read
them. By default the run starts afresh; `--keep` reuses what a previous run left.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fixtures.pg_shared import SHARED, start_server  # noqa: E402

MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
GOAL = 0.90

DB_BOUND: dict[str, dict[str, str]] = {}
"""Per module, functions no test of the selection can reach -> why, and what guards them. None left: the
functions that only reach PostgreSQL are scored on the run's shared server."""

URI = "`uri` flag: Debian's SQLite is built with SQLITE_USE_URI, a `file:` name is a URI anyway"
PREFIX = "another prefix (`None` reads as 'None'): only renames the statement's placeholders, all still distinct"
DATE_CASE = "case of `day`, `date_trunc('week', ...)`: PostgreSQL folds unquoted names, reads field names in any case"
BUSY = "busy timeout (30 s, 31 s, the default 5 s): how long a reader waits on a writer, never that long"
EQUIVALENT: dict[str, str] = {
    "collector.ingest.gaps.x_account__mutmut_5": "placeholder max_seq of the update, set before it is read",
    "collector.ingest.gaps.x_account__mutmut_6": "placeholder watermark of the update, set before it is read",
    "collector.ingest.gaps.x_account__mutmut_9": "placeholder watermark of the update, set before it is read",
    "collector.ingest.gaps.x_account__mutmut_60": "`s < max_seq`: s == max_seq opens no gap and sets max_seq to itself",
    "collector.ingest.gaps.x_release__mutmut_3": "placeholder watermark of the update, set before it is read",
    "collector.ingest.gaps.x_release__mutmut_6": "placeholder watermark of the update, set before it is read",
    "collector.insight.periods.x_split__mutmut_4": "`end < start`: an empty period then yields no piece either",
    "collector.store.aggregates.x_union_of_pieces__mutmut_1": PREFIX,
    **{f"collector.store.aggregates.x_reasons__mutmut_{n}": PREFIX for n in (6, 10, 15, 22, 27, 34)},
    **{f"collector.store.aggregates.x_series__mutmut_{n}": PREFIX for n in (5, 9)},
    **{f"collector.store.aggregates.x_series__mutmut_{n}": DATE_CASE for n in (23, 27, 31)},
    "collector.store.admission.x_register__mutmut_50": "`service or new`: a service already known is inserted"
    " again, and ON CONFLICT DO NOTHING keeps the row as it was",
    "collector.api.security.x_new_key__mutmut_10": "`token_urlsafe(None)` draws its default, 32 bytes: the same",
    "kiosk.core.outbox_view.x_peek__mutmut_4": URI,
    "kiosk.core.outbox_view.x_peek__mutmut_7": URI,
    "kiosk.core.outbox_view.x_peek__mutmut_9": URI,
    "kiosk.core.outbox_view.x_peek__mutmut_8": BUSY,
    "kiosk.core.outbox_view.x_peek__mutmut_10": BUSY,
    "kiosk.core.outbox.xǁOutboxǁ_connection__mutmut_15": "Python's implicit transactions: every write here opens"
    " its own BEGIN IMMEDIATE first, so none is ever started",
    "kiosk.core.outbox.xǁOutboxǁ_connection__mutmut_17": BUSY,
    "kiosk.core.outbox.xǁOutboxǁ_connection__mutmut_19": BUSY,
    "kiosk.core.outbox.xǁOutboxǁclose__mutmut_1": "a closed outbox is never used again (its lock is gone)",
}
"""Survivors that cannot change behaviour, by name (names hold while the function is unchanged), with why.
Also equivalent, recognised from the diff: the case of SQL keywords and identifiers (`sql_case`)."""
WORDING = "wording of a message (its kind, status and the ids it names are tested)"
WORDED: dict[str, tuple[str, ...]] = {
    "collector.api.security": (
        "Authentication required",
        "Not allowed for this key",
        "Too many requests",
        "send an API key as `Authorization: Bearer mlf_...`",
        "the API key is unknown, malformed or revoked",
    ),
    "collector.api.auth_failures": ("Too many requests", "too many failed authentications"),
    "collector.api.scope": ("Not allowed for this key", "Organisation not found", "Service point not found"),
    "collector.api.privacy": ("Finer than this key may see",),
    "kiosk.core.outbox": (
        "sequence numbers exhausted",
        "give each kiosk its own data_dir",
        "a copied outbox must not be used, it would share that device's sequence numbers. ",
        "Move it aside for a fresh one, or, if this device replaces that one, take over its pending ",
        "ratings with --adopt-outbox (see deploy/kiosk/README.md)",
    ),
}
"""Message texts whose case or XX-wrapped variants are explained as `WORDING` (a None title is not: tested)."""

KILLED = {1, 3}
TIMEOUT = {-24, 24, 152, 255, 36, -9}
STATUS = {0: "survived", None: "not checked", 5: "no tests", 33: "no tests", 34: "skipped", 37: "type check"}


@dataclass
class Score:
    module: str
    seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    db_bound: int = 0

    @property
    def scored(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return self.counts["killed"] + self.counts["timeout"]

    @property
    def ratio(self) -> float:
        return self.killed / self.scored if self.scored else 1.0


def config() -> dict[str, object]:
    tool: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return tool


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def function_of(mutant: str) -> str:
    """`collector.ingest.gaps.x_account__mutmut_3` -> `account`; `kiosk.core.outbox.xǁOutboxǁappend__mutmut_1` ->
    `Outbox.append`."""
    name = mutant.partition("__mutmut_")[0].rpartition(".")[2]
    if name.startswith("xǁ"):
        return ".".join(name.split("ǁ")[1:])
    return name.removeprefix("x_")


def status_of(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"
    return STATUS.get(code, "suspicious")


def score(path: str, seconds: float) -> Score:
    meta = ROOT / "mutants" / f"{path}.meta"
    result = Score(path, seconds)
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    db_bound = DB_BOUND.get(path, {})
    for mutant, code in sorted(codes.items()):
        if function_of(mutant) in db_bound:
            result.db_bound += 1
            continue
        status = status_of(code)
        result.counts[status] += 1
        if status not in ("killed", "timeout"):
            result.survivors.append(mutant)
    return result


def run_module(path: str, jobs: int, log: Path, survivors_only: bool = False) -> float:
    start = time.monotonic()
    names = [f"{dotted(path)}.*"]
    if survivors_only:  # an explained survivor stays one: only the others are worth their tests' time again
        names = [m for m in score(path, 0).survivors if explanation(m, show(m)) is None]
        if not names:
            return 0.0
    with log.open("a") as out:
        out.write(f"\n===== {path}\n")
        out.flush()
        done = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(jobs), *names],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        sys.exit(f"mutmut failed on {path} (exit {done.returncode}); see {log}")
    return time.monotonic() - start


@contextmanager
def shared_postgres() -> Iterator[None]:
    """One PostgreSQL for every pytest session mutmut forks, named to them in `MLF_TEST_PG_SERVER`."""
    folder = Path(tempfile.mkdtemp(prefix="mlf-mutation-"))
    folder.chmod(0o755)  # the server's unprivileged account must reach its data folder (as in tests/fixtures)
    try:
        server = start_server(folder)
        try:
            os.environ[SHARED] = str(server.datadir)
            yield
        finally:
            os.environ.pop(SHARED, None)
            server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def show(mutant: str) -> str:
    done = subprocess.run([str(MUTMUT), "show", mutant], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or done.stderr.strip()


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = diff.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|PRAGMA|WHERE|FROM|SET)\b", re.IGNORECASE)


def sql_case(diff: str) -> bool:
    """Only the case of SQL text changed, outside its quoted literals: SQL reads it the same."""
    removed, added = changed_lines(diff)
    if len(removed) != 1 or len(added) != 1 or removed == added:
        return False
    old, new = removed[0], added[0]
    literals = re.compile(r"'[^']*'")
    return (
        old.lower() == new.lower()
        and literals.findall(old.split('"', 1)[-1]) == literals.findall(new.split('"', 1)[-1])
        and SQL_WORDS.search(old) is not None
    )


def explanation(mutant: str, diff: str) -> str | None:
    if mutant in EQUIVALENT:
        return EQUIVALENT[mutant]
    if sql_case(diff):
        return "case of SQL keywords and identifiers"
    removed, added = changed_lines(diff)
    module = mutant.partition("__mutmut_")[0].rpartition(".")[0]
    for text in WORDED.get(module, ()):
        variants = (text.lower(), text.upper(), f"XX{text}XX")
        if len(removed) == 1 and len(added) == 1 and text in removed[0] and any(v in added[0] for v in variants):
            return WORDING
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="paths from only_mutate (default: all of them)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (the machine is shared: 1)")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ of a previous run")
    parser.add_argument(
        "--survivors", action="store_true", help="with --keep: test again what was neither killed nor explained"
    )
    parser.add_argument("--report", action="store_true", help="with --keep: only print the last run's results")
    args = parser.parse_args()
    listed = [str(p) for p in config()["only_mutate"]]  # type: ignore[attr-defined]
    modules = args.modules or listed
    if unknown := set(modules) - set(listed):
        sys.exit(f"not in [tool.mutmut] only_mutate: {', '.join(sorted(unknown))}")
    if (args.survivors or args.report) and not args.keep:
        sys.exit("--survivors and --report need --keep")
    if not args.keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    (ROOT / "mutants").mkdir(exist_ok=True)
    log = ROOT / "mutants" / "mutation.log"
    os.environ.setdefault("PYTHONHASHSEED", "0")
    began = time.monotonic()
    scores = []
    server: AbstractContextManager[None] = nullcontext() if args.report else shared_postgres()
    with server:
        for path in modules:
            seconds = 0.0 if args.report else run_module(path, args.jobs, log, args.survivors)
            scores.append(score(path, seconds))
            s = scores[-1]
            print(f"{path:36} {s.killed:4}/{s.scored:<4} killed {s.ratio:6.1%}  ({seconds:.0f} s)", flush=True)
    total = time.monotonic() - began
    report(scores, total)
    killed, scored = sum(s.killed for s in scores), sum(s.scored for s in scores)
    sys.exit(0 if scored and killed / scored >= GOAL else 1)


def report(scores: list[Score], total: float) -> None:
    print()
    print(
        f"{'module':36} {'mutants':>7} {'killed':>6} {'survived':>8} {'no test':>7} {'other':>5} {'score':>7}  db-bound"
    )
    for s in scores:
        other = s.scored - s.killed - s.counts["survived"] - s.counts["no tests"]
        print(
            f"{s.module:36} {s.scored:7} {s.killed:6} {s.counts['survived']:8} {s.counts['no tests']:7} {other:5}"
            f" {s.ratio:7.1%}  {s.db_bound}"
        )
    killed, scored = sum(s.killed for s in scores), sum(s.scored for s in scores)
    ratio = killed / scored if scored else 1.0
    print(f"{'overall':36} {scored:7} {killed:6} {'':8} {'':7} {'':5} {ratio:7.1%}  {sum(s.db_bound for s in scores)}")
    print(f"goal {GOAL:.0%}: {'met' if ratio >= GOAL else 'NOT met'}; {total / 60:.1f} min in all")
    survivors = [m for s in scores for m in s.survivors]
    explained: list[tuple[str, str]] = []
    unexplained: list[tuple[str, str]] = []
    for mutant in survivors:
        diff = show(mutant)
        why = explanation(mutant, diff)
        if why is None:
            unexplained.append((mutant, diff))
        else:
            explained.append((mutant, why))
    print(f"\n{len(survivors)} mutant(s) not killed: {len(explained)} explained, {len(unexplained)} not")
    for mutant, why in explained:
        print(f"  {mutant}: {why}")
    for mutant, diff in unexplained:
        print(f"\n--- {mutant} (not explained)")
        print(diff)


if __name__ == "__main__":
    main()
