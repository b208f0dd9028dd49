"""The one module that talks to Grafana's HTTP API, through grafana-client (the maintained successor of the
abandoned grafana-api package). Everything else sees plain dicts and one exception with one clear line."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaException, GrafanaUnauthorizedError
from niquests.exceptions import RequestException


class GrafanaError(RuntimeError):
    """Why a call to Grafana failed, in one line a person can act on."""


Json = dict[str, Any]


class Grafana:
    def __init__(self, url: str, token: str, timeout_s: float = 10.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise GrafanaError(f"not a Grafana URL: {url!r} (expected http(s)://host[:port][/path])")
        self.url = url.rstrip("/")
        self._api = GrafanaApi.from_url(self.url, credential=token, timeout=timeout_s)

    def _explain(self, what: str, exc: GrafanaException) -> GrafanaError:
        if exc.status_code == 0:
            return GrafanaError(f"cannot reach Grafana at {self.url}: {exc.message}")
        if isinstance(exc, GrafanaUnauthorizedError) or exc.status_code == 401:
            return GrafanaError(f"Grafana at {self.url} refused the token (401): check the token file")
        return GrafanaError(f"Grafana refused to {what}: {exc.message}")

    def _unreachable(self, exc: RequestException) -> GrafanaError:
        return GrafanaError(f"cannot reach Grafana at {self.url} ({type(exc).__name__})")

    def _call(self, what: str, method: str, path: str, body: Json | None = None) -> None:
        try:
            getattr(self._api.client, method)(path, json=body)
        except GrafanaException as exc:
            raise self._explain(what, exc) from None
        except RequestException as exc:  # grafana-client passes connection failures through
            raise self._unreachable(exc) from None

    def _find(self, what: str, path: str) -> Json | None:
        try:
            found: Json = self._api.client.GET(path)
        except GrafanaException as exc:
            if exc.status_code == 404:
                return None
            raise self._explain(what, exc) from None
        except RequestException as exc:
            raise self._unreachable(exc) from None
        return found

    def folder(self, uid: str) -> Json | None:
        return self._find(f"read folder {uid}", f"/folders/{uid}")

    def create_folder(self, uid: str, title: str) -> None:
        self._call(f"create folder {uid}", "POST", "/folders", {"uid": uid, "title": title})

    def rename_folder(self, uid: str, title: str) -> None:
        self._call(f"rename folder {uid}", "PUT", f"/folders/{uid}", {"title": title, "overwrite": True})

    def datasource(self, uid: str) -> Json | None:
        return self._find(f"read data source {uid}", f"/datasources/uid/{uid}")

    def create_datasource(self, body: Json) -> None:
        self._call(f"create data source {body['uid']}", "POST", "/datasources", body)

    def update_datasource(self, body: Json) -> None:
        self._call(f"update data source {body['uid']}", "PUT", f"/datasources/uid/{body['uid']}", body)

    def dashboard(self, uid: str) -> Json | None:
        return self._find(f"read dashboard {uid}", f"/dashboards/uid/{uid}")

    def save_dashboard(self, dashboard: Json, folder_uid: str) -> None:
        body = {"dashboard": dashboard, "folderUid": folder_uid, "overwrite": True, "message": "mlf-dashboards push"}
        self._call(f"save dashboard {dashboard['uid']}", "POST", "/dashboards/db", body)

    def rule_group(self, folder_uid: str, group: str) -> Json | None:
        return self._find(f"read rule group {group}", f"/v1/provisioning/folder/{folder_uid}/rule-groups/{group}")

    def save_rule_group(self, folder_uid: str, group: str, body: Json) -> None:
        path = f"/v1/provisioning/folder/{folder_uid}/rule-groups/{group}"
        self._call(f"save rule group {group}", "PUT", path, body)
