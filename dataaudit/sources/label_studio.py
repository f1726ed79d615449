"""Fetch a Label Studio project's full JSON export through the server's API, and read it like a file.

The token comes from LABEL_STUDIO_API_KEY. Label Studio has two kinds: legacy tokens (40 hex characters,
sent as `Authorization: Token T`) and personal access tokens (a JWT refresh token, exchanged at
`POST /api/token/refresh/` for a short-lived access token sent as `Authorization: Bearer A`). The token is
only ever put in a request header: never in a URL, a message, a report, a log line or the history database.
Every failure the user can fix (no token, a wrong token, no such project, no server) is an InputError with
one line that says which.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..config import Config
from ..errors import InputError
from ..load.annotation_tools import read_label_studio_tasks
from ..load.records import Dataset

TOKEN_ENV = "LABEL_STUDIO_API_KEY"
TIMEOUT_S = 300.0  # a large project's export is built on request


@dataclass(frozen=True)
class Export:
    source: str  # "<server>/projects/<id>", without credentials
    tasks: list[dict[str, Any]]
    sha256: str  # of the export body as received


def server_label(url: str) -> str:
    """The server's address as it may be shown: scheme, host and port, path; no user, password or query."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def project_source(url: str, project: int | str) -> str:
    """How a fetched project is named in reports and the history database."""
    return f"{server_label(url)}/projects/{project}"


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _is_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def _detail(body: bytes) -> str:
    """The server's one-line reason from a JSON error body; HTML error pages say nothing useful."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return ""
    if isinstance(data, dict):
        detail = data.get("detail") or data.get("message") or ""
        return " ".join(str(detail).split())[:200]
    return ""


def _request(method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float, where: str,
             secrets: list[str], project: int | str | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = _scrub(_detail(exc.read() or b""), secrets)
        reason = f" ({detail})" if detail else ""
        if exc.code in (401, 403) and project is None:
            raise InputError(f"Label Studio at {where} rejected the personal access token in {TOKEN_ENV}{reason}; "
                             "create a new one under Account & Settings") from None
        if exc.code == 401:
            raise InputError(f"Label Studio at {where} rejected the API token in {TOKEN_ENV}{reason}; check the token "
                             "(legacy tokens may be disabled for the organisation: use a personal access token)") from None
        if exc.code == 403:
            raise InputError(f"Label Studio at {where}: the token in {TOKEN_ENV} has no access to project {project}{reason}") from None
        if exc.code == 404:
            raise InputError(f"Label Studio at {where} has no project {project} (404); check --project") from None
        raise InputError(f"Label Studio at {where} answered HTTP {exc.code}{reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else str(exc.reason)
        raise InputError(f"Label Studio at {where} is unreachable ({_scrub(reason, secrets)}); check --label-studio and "
                         "that the server is running") from None
    except (socket.timeout, TimeoutError):
        raise InputError(f"Label Studio at {where} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise InputError(f"Label Studio at {where} is unreachable ({_scrub(str(exc.strerror or exc), secrets)})") from None


def _authorization(base: str, token: str, where: str, timeout: float) -> tuple[str, list[str]]:
    """The Authorization header value, and every secret that must never be shown."""
    if not _is_jwt(token):
        return f"Token {token}", [token]
    body = _request("POST", f"{base}/api/token/refresh/", headers={"Content-Type": "application/json"},
                    body=json.dumps({"refresh": token}).encode(), timeout=timeout, where=where, secrets=[token])
    try:
        access = json.loads(body)["access"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"Label Studio at {where} gave no access token for the personal access token in {TOKEN_ENV}") from None
    return f"Bearer {access}", [token, access]


def fetch_export(url: str, project: int | str, *, token: str | None = None, timeout: float = TIMEOUT_S) -> Export:
    """The project's full JSON export (`GET /api/projects/{id}/export?exportType=JSON`).

    token: defaults to LABEL_STUDIO_API_KEY. Raises InputError for a missing or wrong token, a missing
    project, or a server that cannot be reached.
    """
    token = (token if token is not None else os.environ.get(TOKEN_ENV, "")).strip()
    where = server_label(url)
    if not urllib.parse.urlsplit(url).scheme in ("http", "https"):
        raise InputError(f"--label-studio {where!r}: give the server's address as http://HOST:PORT or https://HOST")
    if not token:
        raise InputError(f"{TOKEN_ENV} is not set: put a Label Studio access token in it (Account & Settings > "
                         "Personal Access Token, or a legacy token)")
    if not str(project).isdigit():
        raise InputError(f"--project {project!r}: a Label Studio project id is a number")
    parts = urllib.parse.urlsplit(url.strip())
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path.rstrip("/"), "", ""))
    authorization, secrets = _authorization(base, token, where, timeout)
    body = _request("GET", f"{base}/api/projects/{int(project)}/export?exportType=JSON",
                    headers={"Authorization": authorization, "Accept": "application/json"}, body=None, timeout=timeout,
                    where=where, secrets=secrets, project=project)
    try:
        tasks = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"Label Studio at {where}: the export of project {project} is not JSON") from None
    if not isinstance(tasks, list):
        raise InputError(f"Label Studio at {where}: the export of project {project} is not a list of tasks")
    return Export(project_source(url, project), tasks, hashlib.sha256(body).hexdigest())


def load_project(url: str, project: int | str, config: Config, *, since: datetime | None = None, token: str | None = None,
                 timeout: float = TIMEOUT_S) -> Dataset:
    """Fetch a project and read it as a Dataset, exactly as its exported file would be read.

    since: keep only annotations created after it (`--since-last`: the previous run of the same project),
    so the audit covers the new batch alone; None audits every annotation.
    """
    export = fetch_export(url, project, token=token, timeout=timeout)
    name = config.dataset_name or export.source
    return read_label_studio_tasks(export.tasks, export.source, config, sha256=export.sha256, name=name, since=since)
