"""/metrics as deploy/collector/README.md tells a Prometheus operator to scrape it: with a reader key made by
the operator CLI, sent as a bearer token; nothing without one, nothing for a key bound to an organisation."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tests.api.test_admin_cli import ok
from tests.fixtures.fix_api import make_key
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.prometheus import scrape

README = Path(__file__).resolve().parents[2] / "deploy" / "collector" / "README.md"


def _status(url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5):  # noqa: S310
            return 200
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_prometheus_scrapes_with_the_documented_key(collector: CollectorProcess) -> None:
    text = README.read_text(encoding="utf-8")
    (config,) = re.findall(r"```yaml\n(# prometheus\.yml\n.*?)```", text, re.S)
    (job,) = yaml.safe_load(config)["scrape_configs"]
    assert job["authorization"]["credentials_file"]  # Prometheus sends its content as a bearer token
    assert "admin key create --name prometheus --role reader" in text
    database = collector.env["COLLECTOR_DATABASE_URL"]
    token = ok(database, "key", "create", "--name", "prometheus", "--role", "reader").splitlines()[-1]
    assert "mlf_ingest_ratings_stored_total" in scrape(collector.url, token)
    assert _status(collector.url + "/metrics", None) == 401
    ok(database, "org", "create", "roma", "--name", "Roma Capitale")
    assert _status(collector.url + "/metrics", make_key(database, "reader", org="roma")) == 403
    assert _status(collector.url + "/metrics", make_key(database, "ingest")) == 403
    assert _status(collector.url + "/healthz", None) == 200  # the one open endpoint
