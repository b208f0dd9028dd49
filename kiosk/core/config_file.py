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
from kiosk.core.enrol.identity import read_identity
from kiosk.core.settings import KioskSettings, flat_fields

S = TypeVar("S", bound=KioskSettings)
ENV_PREFIX = "KIOSK_"
CONFIG_FILE_VARIABLE = "KIOSK_CONFIG_FILE"


class SettingsError(ValueError):
    """The configuration cannot be used; `problems` has one line per cause."""

    def __init__(self, problems: list[str], missing: tuple[str, ...] = ()) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems
        self.missing = missing
        """Settings that are required and unset (an identity not enrolled yet, see `kiosk.core.enrol.boot`)."""


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
    data = {**data, **_identity(cls, data, env)}
    known = [*flat_fields(cls), "config_file"]
    problems = [
        f"{variable} (environment): {problem}" for variable, problem in unknown_variables(env, ENV_PREFIX, known)
    ]
    if problems:
        raise SettingsError(problems)
    try:
        return cls(**{**data, **overrides})
    except ValidationError as exc:
        missing = tuple(str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing" and len(e["loc"]) == 1)
        raise SettingsError(describe(exc, config_file, text, env), missing) from None


def _identity(cls: type[S], data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """What an enrolment wrote into the data folder (kiosk.core.enrol.identity): it wins over the file."""
    data_dir = Path(env.get("KIOSK_DATA_DIR") or data.get("data_dir") or cls.model_fields["data_dir"].default)
    try:
        return read_identity(data_dir)
    except ValueError as exc:
        raise SettingsError([str(exc)]) from None
    except OSError as exc:
        raise SettingsError([f"{data_dir}: cannot read the kiosk identity: {exc.strerror}"]) from None


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
