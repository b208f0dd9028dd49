"""Collector settings: environment variables `COLLECTOR_*`, secrets from files."""

from __future__ import annotations

import os
import shlex
import shutil
import ssl
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psycopg.conninfo import conninfo_to_dict
from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import envcheck
from collector.alerts.settings import AlertSettings
from collector.ingest.mqtt_tls import tls_context


def _valid_dsn(value: str) -> str:
    try:
        conninfo_to_dict(value)
    except Exception as exc:  # psycopg raises ProgrammingError with a readable message
        raise ValueError(f"not a valid PostgreSQL connection string: {exc}") from None
    return value


Dsn = Annotated[str, AfterValidator(_valid_dsn)]


def _valid_rate(value: str) -> str:
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a rate like 1200/minute") from None
    return value


def proxies(value: str) -> list[str]:
    """`COLLECTOR_FORWARDED_ALLOW_IPS` as a list (empty: none)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _valid_proxies(value: str) -> str:
    import ipaddress

    for item in proxies(value):
        try:
            ipaddress.ip_network(item)  # strict, as uvicorn reads it: 10.0.0.0/8, never 10.0.0.1/8
        except ValueError:
            raise ValueError(
                f"{item!r} is not an address or network (CIDR): name the reverse proxies, never everyone,"
                " or any client could say which address it has"
            ) from None
    return value


class CollectorSettings(AlertSettings, BaseSettings):
    """Everything the collector needs to run. Built once, in `main()` or by a test."""

    model_config = SettingsConfigDict(env_prefix="COLLECTOR_", extra="forbid", validate_default=True)

    database_url: Dsn = Field(
        default="postgresql://mlf@127.0.0.1:15432/mlf",
        title="Database",
        description="libpq URL or key=value string of the PostgreSQL/TimescaleDB database.",
    )
    database_password_file: Path | None = Field(
        default=None, description="File holding the database password (systemd credential, Docker secret)."
    )
    database_jit: Literal["off", "server"] = Field(
        default="off",
        description="`off`: the collector's sessions run with PostgreSQL's JIT off (`-c jit=off` in their startup "
        "options): its statements are short, and compiling them cost more than it saved (bench/README.md). "
        "`server`: the server's and role's setting applies (a pooler that refuses startup options).",
    )
    mqtt_host: str = Field(default="127.0.0.1", description="MQTT broker host.")
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = Field(
        default=None,
        description="Broker user of the collector, and so its client id: brokers set up as deploy/mosquitto bind "
        "client ids to user names. Each collector its own user. Unset: the client id, without a password.",
    )
    mqtt_password: SecretStr | None = None
    mqtt_password_file: Path | None = Field(default=None, description="File holding the broker password.")
    mqtt_tls: bool = Field(
        default=False, description="Connect over TLS, verifying the broker's certificate and host name."
    )
    mqtt_ca_file: Path | None = Field(
        default=None, description="CA certificate(s) of the broker's certificate (PEM); the system's when unset."
    )
    mqtt_cert_file: Path | None = Field(
        default=None, description="Client certificate (PEM), if the broker asks for one."
    )
    mqtt_key_file: Path | None = Field(
        default=None, description="Its private key (PEM): a file or a systemd credential."
    )
    mqtt_client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Client id, stable across restarts so the broker keeps the session while we are away. "
        "Default: the user name, else `mlf-collector`; it may differ from the user name only on a broker that "
        "does not bind them.",
    )
    mqtt_share_group: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Join an MQTT v5 shared subscription so several collectors split the stream.",
    )
    mqtt_session_expiry_s: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="How long the broker keeps our session (and queues) while away.",
    )
    mqtt_fast_path: Literal["on", "off", "auto"] = Field(
        default="auto",
        description="The tuned MQTT client (collector/ingest/mqtt_client.py): `auto` uses it on the paho-mqtt "
        "releases it was tested with and paho's own client otherwise, `on` requires it, `off` never uses it.",
    )
    organisation: str = Field(default="+", description="Ingest one organisation only, or `+` for all.")
    auto_register: bool = Field(
        default=True, description="Create unknown organisations, service points and kiosks on first rating."
    )
    timezone: str = Field(default="Europe/Rome", description="Default local time zone of new organisations.")
    batch_max: int = Field(
        default=8000,
        ge=1,
        le=100_000,
        description="Largest batch written in one commit (under a backlog; a quiet stream makes small ones).",
    )
    batch_wait_ms: int = Field(default=20, ge=0, le=10_000, description="Longest wait to fill a batch.")
    ack_interval_ms: int = Field(
        default=100,
        ge=0,
        le=10_000,
        description="Each kiosk's watermark is published at most once per this interval (the highest one).",
    )
    writers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Batches written at the same time, each on its own database connection.",
    )
    misuse_max_presses: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="A kiosk's presses beyond this many within the misuse window are kept but marked as misuse.",
    )
    misuse_window_s: int = Field(default=60, ge=1, le=86_400, description="Length of the misuse window, seconds.")
    channel_limit_per_link: int = Field(
        default=120,
        ge=1,
        le=1_000_000,
        description="Web and phone: ratings per link or line per window beyond which they are misuse.",
    )
    channel_limit_per_client: int = Field(
        default=3,
        ge=1,
        le=1_000_000,
        description="Channels: ratings per client (hashed address, caller) per window beyond which they are misuse.",
    )
    channel_limit_window_s: int = Field(
        default=600, ge=1, le=86_400, description="Window of the channel limits, seconds."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Where citizens reach this collector: the base of rating links, QR codes and phone webhooks.",
    )
    timescaledb: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Store ratings in a TimescaleDB hypertable: `auto` when the server preloads the extension, "
        "`on` to require it, `off` for plain tables.",
    )
    chunk_days: int = Field(default=7, ge=1, le=366, description="TimescaleDB: days of receipt per chunk of ratings.")
    compress_after_days: int = Field(
        default=30, ge=0, le=36_500, description="TimescaleDB: compress raw ratings received this long ago (0: never)."
    )
    raw_retention_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Drop raw ratings received this long ago; rollups are kept (0: keep raw ratings forever).",
    )
    quarantine_retention_days: int = Field(
        default=90, ge=0, le=36_500, description="Delete quarantined messages this old (0: keep them forever)."
    )
    health_max_lag_s: float = Field(
        default=60,
        gt=0,
        le=86_400,
        description="`/healthz` answers 503 while the oldest message received and not yet stored is older than this.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    forwarded_allow_ips: Annotated[str, AfterValidator(_valid_proxies)] = Field(
        default="127.0.0.1,::1",
        description="Reverse proxies whose `X-Forwarded-For` names the client (and `X-Forwarded-Proto` the "
        "scheme), by address or network, comma-separated; empty: none. Any other client is the address it "
        "connects from, whatever it sends. Limits per address (failed keys, enrolment codes, channels) count this.",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    # API access (see collector/api/security.py) and kiosk provisioning (collector/provisioning/).
    reader_resolution: Literal["hour", "day"] = Field(
        default="hour",
        description="Finest time a reader key sees: no count for a shorter span, no bucket still open.",
    )
    rate_limit: Annotated[str, AfterValidator(_valid_rate)] = Field(
        default="1200/minute",
        description="Requests per API key, e.g. `1200/minute`, `50/second`, counted by each process on its own.",
    )
    auth_failure_limit: Annotated[str, AfterValidator(_valid_rate)] = Field(
        default="60/minute",
        description="Failed authentications (API keys, board sign-ins) per client address, counted in the "
        "database for every collector process.",
    )
    board_session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="The board: a sign-in lasts this long (sign-out ends it sooner)."
    )
    board_refresh_s: float = Field(
        default=60, ge=0, le=3600, description="The board: open pages refresh their figures this often (0: never)."
    )
    board_link_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="The board: a one-time sign-in link works once, within this time."
    )
    broker_password_file: Path | None = Field(
        default=None, description="mosquitto password_file the collector writes (kiosk users; see deploy/mosquitto)."
    )
    broker_acl_file: Path | None = Field(default=None, description="mosquitto acl_file the collector writes.")
    broker_static_passwords: Path | None = Field(
        default=None, description="Users kept in the password file as they are (the collector's own, operators)."
    )
    broker_static_acl: Path | None = Field(default=None, description="ACL lines kept at the top of the ACL file.")
    broker_reload_command: str | None = Field(
        default=None,
        description="Command that makes mosquitto re-read its files, e.g. `systemctl reload mosquitto`.",
    )
    provisioning_interval_s: float = Field(
        default=30, gt=0, le=3600, description="How often kiosk configs and broker files are checked."
    )
    # Zero-touch kiosk enrolment (collector/enrolment/): what a kiosk is told, and how guessing is stopped.
    kiosk_mqtt_host: str | None = Field(
        default=None, min_length=1, description="The broker as kiosks reach it (enrolment); default: mqtt_host."
    )
    kiosk_mqtt_port: int | None = Field(default=None, ge=1, le=65535, description="Its port; default: mqtt_port.")
    kiosk_mqtt_tls: bool | None = Field(default=None, description="Kiosks connect with TLS; default: mqtt_tls.")
    kiosk_mqtt_ca_file: Path | None = Field(
        default=None, description="CA certificate (PEM) of the broker handed to enrolled kiosks; none: the system's."
    )
    enrol_code_days: float = Field(default=7, ge=0.01, le=90, description="How long a new enrolment code works.")
    enrol_retention_days: int = Field(
        default=90,
        ge=0,
        le=36_500,
        description="Delete enrolment codes this long after they were used, revoked or expired, and enrolment "
        "audit rows this old, as long as quarantined messages by default (0: keep them forever).",
    )
    enrol_failure_limit: Annotated[str, AfterValidator(_valid_rate)] = Field(
        default="10/hour", description="Failed enrolment attempts per client address."
    )
    enrol_failure_limit_total: Annotated[str, AfterValidator(_valid_rate)] = Field(
        default="200/hour", description="Failed enrolment attempts from everywhere together."
    )
    gc_interval_s: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="Collect reference cycles every so many seconds instead of Python's automatic"
        " collection, which costs ingest a quarter of its CPU (0: Python's default). A collection walks"
        " every message in flight (0.8 s under a 20,000-message backlog), so not too often.",
    )

    @field_validator("broker_reload_command")
    @classmethod
    def _runnable(cls, value: str | None) -> str | None:
        """A reload that cannot run would leave new kiosks locked out: say so at start, not at the first one."""
        if value is None or not value.strip():
            return None
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot parse {value!r}: {exc}") from None
        if shutil.which(argv[0]) is None:
            raise ValueError(f"program {argv[0]!r} not found (give a full path, or install it)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _read_secret_files(self) -> CollectorSettings:
        credential = Path(os.environ.get("CREDENTIALS_DIRECTORY", "/nonexistent")) / "mqtt-password"
        if self.mqtt_password is None and self.mqtt_password_file is None and credential.is_file():
            self.mqtt_password_file = credential  # systemd: LoadCredential=mqtt-password
        if self.mqtt_password_file is not None:
            self.mqtt_password = SecretStr(_read_secret(self.mqtt_password_file))
        # Every secret, wherever it comes from: an example value copied as is must not start a service.
        secrets = {
            "COLLECTOR_MQTT_PASSWORD": self.mqtt_password.get_secret_value() if self.mqtt_password else None,
            "COLLECTOR_DATABASE_URL": conninfo_to_dict(self.database_url).get("password"),
            "COLLECTOR_DATABASE_PASSWORD_FILE": (
                _read_secret(self.database_password_file) if self.database_password_file else None
            ),
        }
        for name, value in secrets.items():
            if value is not None and envcheck.is_placeholder(str(value)):
                raise ValueError(f"the password in {name} is a placeholder: set a real one")
        self.mqtt_tls_context()  # a TLS file that cannot be used: said at start, not at the first connection
        if self.mqtt_client_id and self.mqtt_username and self.mqtt_client_id != self.mqtt_username:
            raise ValueError(
                f"COLLECTOR_MQTT_CLIENT_ID {self.mqtt_client_id!r} differs from COLLECTOR_MQTT_USERNAME "
                f"{self.mqtt_username!r}: brokers set up as deploy/mosquitto make the user name the client id; "
                "leave the client id unset and give each collector its own user"
            )
        return self

    def mqtt_tls_context(self) -> ssl.SSLContext | None:
        """The TLS context of the collector's MQTT connections, or None without TLS."""
        files = {"CA_FILE": self.mqtt_ca_file, "CERT_FILE": self.mqtt_cert_file, "KEY_FILE": self.mqtt_key_file}
        if not self.mqtt_tls:
            if given := [name for name, path in files.items() if path is not None]:
                raise ValueError(f"COLLECTOR_MQTT_{given[0]} is set: set COLLECTOR_MQTT_TLS=true too")
            return None
        if (self.mqtt_cert_file is None) != (self.mqtt_key_file is None):
            raise ValueError("a client certificate needs both COLLECTOR_MQTT_CERT_FILE and COLLECTOR_MQTT_KEY_FILE")
        return tls_context(self.mqtt_ca_file, self.mqtt_cert_file, self.mqtt_key_file)

    @property
    def mqtt_identity(self) -> str:
        """The client id, which brokers that bind client ids to user names make equal to the user name."""
        return self.mqtt_client_id or self.mqtt_username or "mlf-collector"

    def mqtt_login(self) -> tuple[str, str | None]:
        """(user name, password) to present: without a configured user, the client id and no password
        (a broker binding client ids to user names refuses a client without a user name)."""
        if self.mqtt_username is None:
            return self.mqtt_identity, None
        return self.mqtt_username, self.mqtt_password.get_secret_value() if self.mqtt_password else None

    def database_conninfo(self) -> str:
        """The DSN with the password from `database_password_file`, if given, and JIT off (`database_jit`).

        `-c jit=off` goes before the options the DSN (or PGOPTIONS) already gives: a later `-c jit=on` wins."""
        from psycopg.conninfo import make_conninfo

        extra: dict[str, str] = {}
        if self.database_password_file is not None:
            extra["password"] = _read_secret(self.database_password_file)
        if self.database_jit == "off":
            given = conninfo_to_dict(self.database_url).get("options") or os.environ.get("PGOPTIONS", "")
            extra["options"] = f"-c jit=off {given}".strip()
        return make_conninfo(self.database_url, **extra) if extra else self.database_url


def unknown_variables(environ: dict[str, str], prefix: str, settings: type[BaseSettings]) -> list[str]:
    """`PREFIX_*` variables that name no setting (pydantic-settings ignores them; a typo should not be)."""
    return [
        f"{variable}: {problem}"
        for variable, problem in envcheck.unknown_variables(environ, prefix, settings.model_fields)
    ]


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None
