"""Build kiosk settings from a TOML file and the environment, with errors that point at the culprit.

A typo in `/etc/mlf-kiosk/kiosk.toml` on a device nobody can see should cost one
look at `kiosk-buttons --validate-config`: each problem names the file and line, or
the environment variable, that holds the bad value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from envcheck import unknown_variables
from kiosk.core.settings import KioskSettings, flat_fields

S = TypeVar("S", bound=KioskSettings)
ENV_PREFIX = "KIOSK_"
CONFIG_FILE_VARIABLE = "KIOSK_CONFIG_FILE"


class SettingsError(ValueError):
    """The configuration cannot be used; `problems` has one line per cause."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


def load_settings(cls: type[S], config_file: Path | None = None, **overrides: Any) -> S:
    """Settings from `config_file` (or `$KIOSK_CONFIG_FILE`) and `overrides`; `KIOSK_*` variables win over both."""
    env = dict(os.environ)
    if config_file is None and env.get(CONFIG_FILE_VARIABLE):
        config_file = Path(env[CONFIG_FILE_VARIABLE])
    text, data = "", {}
    if config_file is not None:
        try:
            text = config_file.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except OSError as exc:
            raise SettingsError([f"{config_file}: cannot read: {exc.strerror}"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError([f"{config_file}: not valid TOML: {exc}"]) from None
    known = [*flat_fields(cls), "config_file"]
    problems = [
        f"{variable} (environment): {problem}" for variable, problem in unknown_variables(env, ENV_PREFIX, known)
    ]
    if problems:
        raise SettingsError(problems)
    try:
        return cls(**{**data, **overrides})
    except ValidationError as exc:
        raise SettingsError(describe(exc, config_file, text, env)) from None


def describe(exc: ValidationError, config_file: Path | None, text: str, env: Mapping[str, str]) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        if not loc:
            problems.append(message)
            continue
        variable = ENV_PREFIX + "__".join(part.upper() for part in loc if not part.isdigit())
        if variable in env:
            problems.append(f"{variable} (environment): {message}")
        elif config_file is not None and (line := _line_of(text, loc)) is not None:
            problems.append(f"{config_file}:{line}: {'.'.join(loc)}: {message}")
        elif error["type"] == "missing":
            where = f"in {config_file} or " if config_file else ""
            problems.append(f"{'.'.join(loc)}: required: set it {where}as {variable}")
        else:
            problems.append(f"{'.'.join(loc)}: {message}")
    return problems


def _line_of(text: str, loc: list[str]) -> int | None:
    """Line number of the key `loc` in TOML `text` (tables as `[a]` headers or dotted keys), if found."""
    keys = [part for part in loc if not part.isdigit()]
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if header := re.fullmatch(r"\[\s*([A-Za-z0-9_.\s-]+?)\s*\]", stripped):
            table = [p.strip() for p in header.group(1).split(".")]
            continue
        if match := re.match(r"([A-Za-z0-9_.\s-]+?)\s*=", stripped):
            key = table + [p.strip() for p in match.group(1).split(".")]
            if key == keys:
                return number
    return None
