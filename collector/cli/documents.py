"""What the commands that write one document share (`mlf-collector report`, `mlf-collector poster`): their
sub-command with its language option, their error, the database they read and the file they write."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from collector.config import CollectorSettings


class CommandError(RuntimeError):
    """What was asked cannot be made (no such organisation, a month not over yet): said, exit status 2."""


def document_parser(
    sub: Any, name: str, *, help: str, description: str, languages: Sequence[str], language_help: str
) -> argparse.ArgumentParser:
    """The sub-command `name`, with `--lang` (Italian by default) already among its options."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    parser.add_argument("--lang", choices=languages, default="it", help=language_help)
    return parser


async def connect(settings: CollectorSettings) -> psycopg.AsyncConnection[TupleRow]:
    """One connection of its own (a command is no server: no pool)."""
    return await psycopg.AsyncConnection.connect(settings.database_conninfo(), autocommit=True)


def write(out: Path, data: bytes, about: str = "") -> None:
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes){about}")
