"""Against a real Label Studio server: the audit of the exported file and of the fetched project agree.

The server is the pinned `label-studio` installed in its own virtual environment by
tests/support/install_label_studio.sh (DATAAUDIT_LS_VENV, default /tmp/ls-venv), started here on a free
port with SQLite in a temporary folder. Users and tokens are made through `label-studio shell`; annotations
are posted through the API by three careful annotators and one who answers at random, on Banking77 messages
from ../shared/datasets. Skips, saying why, where the server is not installed or does not start.
About two minutes, most of it the server's first start (database migrations).
"""

from __future__ import annotations

import csv
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dataaudit.checks.agreement import CHECK, measure_agreement
from dataaudit.config import Config
from dataaudit.errors import InputError
from dataaudit.load import load_dataset
from dataaudit.report import to_jsonable
from dataaudit.sources.label_studio import fetch_export, load_project
from tests.conftest import shared_dataset

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("DATAAUDIT_LS_VENV", "/tmp/ls-venv"))
START_TIMEOUT_S = 300
INTENTS = ["card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed", "pin_blocked"]
CAREFUL, RANDOM_USER = ["careful_1", "careful_2", "careful_3"], "random_4"
LABEL_CONFIG = ("<View><Text name='text' value='$text'/>"
                "<Choices name='intent' toName='text' choice='single'>" + "".join(f"<Choice value='{i}'/>" for i in INTENTS)
                + "</Choices><Rating name='confidence' toName='text' maxRating='5'/></View>")

SHELL_SCRIPT = """
import json
from jwt_auth.models import JWTSettings, LSAPIToken
from organizations.models import Organization
from rest_framework.authtoken.models import Token
from users.models import User
org = Organization.objects.first()
settings, _ = JWTSettings.objects.get_or_create(organization=org)
settings.legacy_api_tokens_enabled = True
settings.save()
out = {}
for name in NAMES:
    user = User.objects.create_user(email=name + "@example.com", password=PASSWORD, username=name)
    org.add_user(user)
    user.active_organization = org
    user.save()
    out[name] = {"id": user.id, "token": Token.objects.get_or_create(user=user)[0].key}
admin = User.objects.get(email=ADMIN)
out["admin_pat"] = LSAPIToken.for_user(admin).get_full_jwt()
print("RESULT" + json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(base: str, method: str, path: str, authorization: str, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": authorization, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    executable = VENV / "bin" / "label-studio"
    if not executable.exists():
        pytest.skip(f"Label Studio is not installed in {VENV}: run tests/support/install_label_studio.sh "
                    "(or set DATAAUDIT_LS_VENV to where it is)")
    data_dir = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    admin, password, admin_token = "admin@example.com", secrets.token_hex(8), secrets.token_hex(20)
    # One signing key for every Label Studio process: without it each process that finds none in the data
    # folder's .env generates one and appends it, and a personal access token made by `label-studio shell`
    # under one key was, once, refused by the server under another ("Token is invalid").
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "DJANGO_DB": "sqlite",
           "SECRET_KEY": secrets.token_urlsafe(50)}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen([str(executable), "start", "--no-browser", "--port", str(port), "--username", admin,
                                "--password", password, "--user-token", admin_token], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                tail = (data_dir / "server.log").read_text(errors="replace")[-600:]
                pytest.skip(f"Label Studio exited while starting (code {process.returncode}): {tail}")
            try:
                urllib.request.urlopen(base + "/health", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip(f"Label Studio did not answer on {base} within {START_TIMEOUT_S} s")
                time.sleep(2)
        script = data_dir / "make_users.py"
        script.write_text(f"NAMES = {CAREFUL + [RANDOM_USER]!r}\nPASSWORD = {password!r}\nADMIN = {admin!r}\n" + SHELL_SCRIPT)
        shell = subprocess.run([str(executable), "shell"], input=f"exec(open({str(script)!r}).read())\n", env=env,
                               capture_output=True, text=True, timeout=240)
        if "RESULT" not in shell.stdout:
            pytest.skip(f"label-studio shell could not create users: {(shell.stdout + shell.stderr)[-600:]}")
        users = json.loads(shell.stdout.split("RESULT", 1)[1].splitlines()[0])
        yield {"base": base, "users": users, "admin_pat": users.pop("admin_pat"), "admin_token": admin_token}
    finally:
        # A server that exited while starting has no process group left to stop: its skip must stay a skip, not
        # turn into an error at teardown (ProcessLookupError).
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def project(server):
    """30 Banking77 messages (6 from each of 5 intents), each labelled by all four annotators, in two batches;
    two cancelled annotations planted."""
    with (shared_dataset("banking77") / "train.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["category"] in INTENTS]
    rng = random.Random(7)
    chosen = [r for intent in INTENTS for r in [x for x in rows if x["category"] == intent][:6]]
    rng.shuffle(chosen)
    base, users = server["base"], server["users"]
    admin = f"Token {server['admin_token']}"
    created = _call(base, "POST", "/api/projects/", admin, {"title": "dataaudit test", "label_config": LABEL_CONFIG})
    _call(base, "POST", f"/api/projects/{created['id']}/import", admin, [{"text": r["text"]} for r in chosen])
    listing = _call(base, "GET", f"/api/tasks/?project={created['id']}&page_size=100", admin)
    tasks = sorted(listing["tasks"] if isinstance(listing, dict) else listing, key=lambda t: t["id"])
    truth = {t["id"]: r["category"] for t, r in zip(tasks, chosen)}
    assert [t["data"]["text"] for t in tasks] == [r["text"] for r in chosen]
    cancelled = {(tasks[4]["id"], "careful_2"), (tasks[20]["id"], RANDOM_USER)}
    between = None
    for batch, batch_tasks in enumerate((tasks[:15], tasks[15:])):
        if batch == 1:
            time.sleep(1.5)
            between = datetime.now(timezone.utc)
            time.sleep(1.5)
        for task in batch_tasks:
            for name in CAREFUL + [RANDOM_USER]:
                token = f"Token {users[name]['token']}"
                if (task["id"], name) in cancelled:
                    _call(base, "POST", f"/api/tasks/{task['id']}/annotations/", token, {"result": [], "was_cancelled": True})
                    continue
                careful = name != RANDOM_USER
                intent = truth[task["id"]] if careful and rng.random() < 0.92 else rng.choice(INTENTS)
                result = [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": [intent]}},
                          {"from_name": "confidence", "to_name": "text", "type": "rating", "value": {"rating": rng.randint(3, 5)}}]
                _call(base, "POST", f"/api/tasks/{task['id']}/annotations/", token,
                      {"result": result, "lead_time": round(rng.uniform(15, 30) if careful else rng.uniform(2, 4), 1)})
    return {"id": created["id"], "between": between, "random_id": str(users[RANDOM_USER]["id"])}


def _download(server, project_id: int, kind: str, path: Path) -> Path:
    request = urllib.request.Request(f"{server['base']}/api/projects/{project_id}/export?exportType={kind}",
                                     headers={"Authorization": f"Token {server['admin_token']}"})
    path.write_bytes(urllib.request.urlopen(request, timeout=120).read())
    return path


def _secrets(server) -> list[str]:
    return [server["admin_pat"], server["admin_token"]] + [u["token"] for u in server["users"].values()]


def test_file_and_server_give_the_same_alpha_and_flag_the_random_annotator(server, project, tmp_path, monkeypatch):
    exported = _download(server, project["id"], "JSON", tmp_path / "export.json")
    from_file = load_dataset(exported, Config())
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server["admin_pat"])  # a personal access token: refreshed for an access token
    from_server = load_project(server["base"], project["id"], Config())
    by_legacy = load_project(server["base"], project["id"], Config(), token=server["users"]["careful_1"]["token"])
    results = [measure_agreement(d, Config().agreement) for d in (from_file, from_server, by_legacy)]
    assert results[0].krippendorff_alpha is not None
    assert results[0].krippendorff_alpha == results[1].krippendorff_alpha == results[2].krippendorff_alpha
    assert [q.krippendorff_alpha for q in results[0].questions] == [q.krippendorff_alpha for q in results[1].questions]
    assert from_file.annotation_export.cancelled == from_server.annotation_export.cancelled == 2
    assert len(from_server.records) == 30 and from_server.annotation_export.headline == "intent"
    assert from_server.files[0].path == f"{server['base']}/projects/{project['id']}"
    for result in results:
        assert [a.annotator for a in result.per_annotator if a.flagged] == [project["random_id"]]
    findings = CHECK.judge(results[1], _context(from_server))
    assert project["random_id"] in findings[0].action
    # the token is in no result, finding, dataset or record
    text = json.dumps(to_jsonable([from_server, results[1], findings])) + repr(from_server)
    for secret in _secrets(server):
        assert secret not in text


def test_since_audits_only_the_new_batch(server, project, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server["admin_pat"])
    batch = load_project(server["base"], project["id"], Config(), since=project["between"])
    assert len(batch.records) == 15 and batch.annotation_export.before_since == 15 * 4 - 1  # one cancelled in batch 1
    assert all(a.created_at > project["between"].isoformat()[:19] for r in batch.records for a in r.annotations)


def test_errors_are_one_line_and_never_carry_the_token(server, project):
    pat = server["admin_pat"]
    wrong = pat[:-6] + ("A" if pat[-6] != "A" else "B") + pat[-5:]
    cases = [(server["base"], project["id"], wrong, "rejected the personal access token"),
             (server["base"], project["id"], "0" * 40, "rejected the API token"),
             (server["base"], 987654, pat, "has no project 987654"),
             (f"http://127.0.0.1:{_free_port()}", project["id"], pat, "is unreachable")]
    for url, project_id, token, expected in cases:
        with pytest.raises(InputError) as caught:
            fetch_export(url, project_id, token=token, timeout=30)
        message = str(caught.value)
        assert expected in message and "\n" not in message
        for secret in _secrets(server) + [wrong, "0" * 40]:
            assert secret not in message


def test_cli_reports_on_the_export_hold_no_token(server, project, tmp_path):
    exported = _download(server, project["id"], "JSON", tmp_path / "export.json")
    out = tmp_path / "reports"
    env = {**os.environ, "LABEL_STUDIO_API_KEY": server["admin_pat"], "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "dataaudit", "audit", str(exported), "--out", str(out), "--no-embeddings",
                          "--history", str(tmp_path / "history.db")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1, 3), run.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["checks"]["agreement"]["layout"] == "label_studio_json"
    outputs = run.stdout + run.stderr + "".join(p.read_text(errors="replace") for p in out.iterdir() if p.is_file())
    outputs += (tmp_path / "history.db").read_bytes().decode("latin-1")
    for secret in _secrets(server):
        assert secret not in outputs


def _context(dataset):
    from dataaudit.checks.base import AuditContext
    from dataaudit.index import build_index

    return AuditContext(config=Config(), train=build_index("train", dataset, lambda text: text))
