"""The compliance portal on the running platform: its API mounted in Airflow's api-server, every
endpoint with real data processed by the real pipeline, Airflow authentication per role (401 /
403 / 200), uploads (atomic, route override, refused names, size limit) and the metrics.

On the package's shared stack (conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from include.db.files import sha256_of
from include.settings import Settings
from include.stack.context import AIRFLOW_USERS
from include.stack.manager import Stack
from tests.integration.portal.landing import file_row, query, wait_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROLES = ("viewer", "analyst", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
# The stack's users are named after their portal role (include/stack/context.py).
assert set(AIRFLOW_USERS) == set(ROLES)


@pytest.fixture(scope="module")
def portal(portal_stack: tuple[Settings, Stack]) -> tuple[Settings, dict[str, str]]:
    """The shared stack's settings and a bearer token per role."""
    settings, stack = portal_stack
    tokens = {}
    for user in ROLES:
        password = stack.ctx.airflow_password(user)
        response = httpx.post(
            f"{settings.airflow_url}/auth/token", json={"username": user, "password": password}, timeout=30
        )
        assert response.status_code in (200, 201), response.status_code
        tokens[user] = response.json()["access_token"]
    return settings, tokens


def api(settings: Settings, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(
        method, f"{settings.airflow_url}/compliance{path}", headers=headers, timeout=60, follow_redirects=False,
        **kwargs,
    )  # fmt: skip


def loaded_file_id(settings: Settings, samples: dict[str, Path]) -> int:
    return file_row(settings, samples["patients.csv"])[0]


# (method, path, lowest role allowed). {file_id} is the loaded sample's id.
ENDPOINTS = [
    ("GET", "/api/me", "viewer"),
    ("GET", "/api/status", "viewer"),
    ("GET", "/api/jobs", "viewer"),
    ("GET", "/api/jobs?pipeline_type=stream", "viewer"),
    ("GET", "/api/pipeline/processors/status", "viewer"),
    ("GET", "/api/pipeline/metrics", "viewer"),
    ("GET", "/api/pipeline/metrics?pipeline_type=batch", "viewer"),
    ("GET", "/api/reports/summary", "viewer"),
    ("GET", "/api/reports/quarantine", "viewer"),
    ("GET", "/api/database/files", "viewer"),
    ("GET", "/api/database/statistics", "viewer"),
    ("GET", "/api/database/records/{file_id}", "analyst"),
    ("GET", "/openapi.json", "viewer"),
    ("GET", "/static/dashboard.js", "viewer"),
    ("POST", "/api/upload", "admin"),
    ("POST", "/api/pipeline/process", "admin"),
    ("POST", "/api/subjects/reveal", "admin"),
    ("POST", "/api/subjects/erase", "admin"),
]


def test_roles_401_403_200(portal, samples) -> None:
    settings, tokens = portal
    file_id = loaded_file_id(settings, samples)
    for method, template, lowest in ENDPOINTS:
        path = template.format(file_id=file_id)
        assert api(settings, method, path).status_code == 401, path
        assert api(settings, method, path, "not-a-token").status_code in (401, 403), path
        for role in ROLES:
            response = api(settings, method, path, tokens[role])
            if RANK[role] < RANK[lowest]:
                assert response.status_code == 403, (path, role)
            elif method == "GET":
                assert response.status_code == 200, (path, role, response.text[:200])
            else:  # allowed, and only then does the (empty) body get looked at
                assert response.status_code not in (401, 403), (path, role)
    # The UI's session cookie works as well as a bearer token.
    cookie = httpx.get(
        f"{settings.airflow_url}/compliance/api/me", cookies={"_token": tokens["analyst"]}, timeout=30
    )
    assert cookie.status_code == 200 and cookie.json() == {"user": "analyst", "role": "analyst"}
    for role in ROLES:
        assert api(settings, "GET", "/api/me", tokens[role]).json()["role"] == role
    # The page sends a browser without a session to Airflow's login page.
    page = api(settings, "GET", "/")
    assert page.status_code == 303 and "/auth/login" in page.headers["location"]
    assert api(settings, "GET", "/", tokens["viewer"]).status_code == 200


def test_endpoints_show_the_loaded_file(portal, samples) -> None:
    settings, tokens = portal
    viewer, analyst = tokens["viewer"], tokens["analyst"]
    file_id, status, engine, reason, loaded, violations = file_row(settings, samples["patients.csv"])
    assert status == "loaded" and loaded == 400 and violations > 0

    jobs = api(settings, "GET", "/api/jobs", viewer).json()
    job = next(j for j in jobs if j["file_id"] == file_id)
    assert (job["file_name"], job["status"], job["pipeline"], job["progress"]) == (
        "patients.csv", "succeeded", "stream", 1.0,
    )  # fmt: skip
    assert (job["records_loaded"], job["violations"], job["route_reason"]) == (loaded, violations, reason)
    assert "path" not in job
    assert api(settings, "GET", "/api/jobs?pipeline_type=batch", viewer).json() == [
        j for j in jobs if j["pipeline"] == "batch"
    ]

    files = api(settings, "GET", "/api/database/files", viewer).json()
    entry = next(f for f in files if f["id"] == file_id)
    assert (entry["file_name"], entry["status"], entry["pipeline"], entry["route_reason"]) == (
        "patients.csv", "loaded", engine, reason,
    )  # fmt: skip

    # Records: tokenized rows, paged by row number without gaps or repeats.
    rows, after = [], -1
    while after is not None:
        page = api(
            settings, "GET", f"/api/database/records/{file_id}?limit=150&after={after}", analyst
        ).json()
        rows.extend(page["records"])
        after = page["next_after"]
    assert [r["row_number"] for r in rows] == sorted({r["row_number"] for r in rows}) and len(rows) == loaded
    stored = dict(query(settings, "SELECT row_number, payload FROM data_records WHERE file_id = %s", file_id))
    assert {r["row_number"]: r["payload"] for r in rows} == stored
    assert api(settings, "GET", "/api/database/records/999999", analyst).status_code == 404

    by_regulation = dict(
        query(settings, "SELECT regulation, count(*) FROM data_compliance_violations GROUP BY regulation")
    )
    summary = api(settings, "GET", "/api/reports/summary", viewer).json()
    assert summary["system"]["records_loaded"] == sum(
        n for (n,) in query(settings, "SELECT coalesce(records_loaded, 0) FROM data_processing_jobs")
    )
    assert {
        c["regulation"]: c["violations"] for c in summary["compliance"] if c["violations"]
    } == by_regulation
    trend_total: dict[str, int] = {}
    for day in summary["violation_trends"]["by_regulation"]:
        for regulation, n in day["counts"].items():
            trend_total[regulation] = trend_total.get(regulation, 0) + n
    assert trend_total == by_regulation
    assert any(j["file_id"] == file_id for j in summary["recent_jobs"])

    statistics = api(settings, "GET", "/api/database/statistics", viewer).json()
    assert statistics["files"] == query(settings, "SELECT count(*) FROM data_files")[0][0]
    assert {t["table_name"] for t in statistics["tables"]} >= {"data_records", "data_compliance_violations"}

    status_counts = api(settings, "GET", "/api/status", viewer).json()
    assert status_counts["files"]["loaded"] >= 1 and status_counts["jobs"]["succeeded"] >= 1

    metrics = api(settings, "GET", "/api/pipeline/metrics?pipeline_type=stream", viewer).json()
    (stream,) = metrics["engines"]
    assert stream["pipeline"] == "stream" and stream["records_loaded"] >= loaded
    assert stream["p95_job_seconds"] > 0

    # Prometheus: the same totals, aggregates only.
    text = api(settings, "GET", "/metrics").text
    for regulation, n in by_regulation.items():
        total = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(f'sdp_violations_total{{regulation="{regulation}"')
        )
        assert total == n, regulation
    assert 'sdp_records_total{outcome="loaded",pipeline="stream"}' in text
    assert "sdp_landed_to_loaded_seconds_bucket" in text and "sdp_stream_consumer_lag_rows" in text
    assert "patients" not in text

    processors = api(settings, "GET", "/api/pipeline/processors/status", viewer).json()
    assert {name: p["available"] for name, p in processors.items()} == {
        "batch": True, "stream": True, "hybrid": True,
    }  # fmt: skip
    assert processors["stream"]["broker_reachable"] and processors["stream"]["consumer_alive"]

    schema = api(settings, "GET", "/openapi.json", viewer).json()
    assert {"/api/upload", "/api/jobs", "/api/reports/summary", "/api/database/records/{file_id}"} <= set(
        schema["paths"]
    )
    assert api(settings, "GET", "/docs", viewer).status_code == 200


def test_uploads_are_processed_with_the_chosen_route(portal, samples) -> None:
    settings, tokens = portal
    admin = tokens["admin"]

    def upload(name: str, pipeline: str) -> httpx.Response:
        with open(samples[name], "rb") as handle:
            return api(settings, "POST", "/api/upload", admin, files={"file": (name, handle)},
                       data={"pipeline": pipeline})  # fmt: skip

    auto = upload("payments.jsonl", "auto")
    assert auto.status_code == 201, auto.text
    assert auto.json()["destination"] == "landing"
    hybrid = upload("places.csv", "hybrid")
    assert hybrid.status_code == 201, hybrid.text
    assert hybrid.json()["destination"] == "manual_dag" and hybrid.json()["dag_run_id"]

    # A file already in the data folder, processed on request.
    (settings.data_dir / "incoming").mkdir(exist_ok=True)
    shutil.copyfile(samples["clinic.csv"], settings.data_dir / "incoming" / "clinic.csv")
    processed = api(settings, "POST", "/api/pipeline/process", admin,
                    json={"path": "incoming/clinic.csv", "pipeline": "stream"})  # fmt: skip
    assert processed.status_code == 201, processed.text

    names = ("payments.jsonl", "places.csv", "clinic.csv")
    status = wait_files(settings, [sha256_of(samples[n]) for n in names])
    assert set(status.values()) == {"loaded"}
    _, _, engine, reason, _, _ = file_row(settings, samples["places.csv"])
    assert engine == "flink" and "override=hybrid" in reason
    _, _, engine, reason, _, _ = file_row(settings, samples["clinic.csv"])
    assert engine == "stream" and "override=stream" in reason
    _, _, engine, reason, _, _ = file_row(settings, samples["payments.jsonl"])
    assert engine == "stream" and "override" not in reason
    jobs = {j["file_name"]: j for j in api(settings, "GET", "/api/jobs", tokens["viewer"]).json()}
    assert jobs["places.csv"]["pipeline"] == "hybrid" and jobs["places.csv"]["status"] == "succeeded"
    # The cached violation counts follow the new files (only their files are counted again).
    by_regulation = dict(
        query(settings, "SELECT regulation, count(*) FROM data_compliance_violations GROUP BY regulation")
    )
    summary = api(settings, "GET", "/api/reports/summary", tokens["viewer"]).json()
    assert {
        c["regulation"]: c["violations"] for c in summary["compliance"] if c["violations"]
    } == by_regulation


def test_uploads_refused(portal, samples) -> None:
    settings, tokens = portal
    admin = tokens["admin"]
    # Where an upload could land.
    targets = (settings.landing_dir, settings.data_dir / "uploads")
    before = {p for target in targets for p in target.rglob("*")}
    content = samples["patients.csv"].read_bytes()
    for name in ("../escape.csv", "..\\escape.csv", "sub/escape.csv", "/etc/escape.csv", ".hidden.csv",
                 "notes.xlsx", "..csv", "~temp.csv"):  # fmt: skip
        response = api(settings, "POST", "/api/upload", admin, files={"file": (name, content)},
                       data={"pipeline": "auto"})  # fmt: skip
        assert response.status_code in (400, 422), (name, response.status_code)
    too_big = api(settings, "POST", "/api/upload", admin,
                  files={"file": ("big.csv", samples["big.csv"].read_bytes())})  # fmt: skip
    assert too_big.status_code == 413
    empty = api(settings, "POST", "/api/upload", admin, files={"file": ("empty.csv", b"")})
    assert empty.status_code == 400
    bad_pipeline = api(settings, "POST", "/api/upload", admin, files={"file": ("x.csv", content)},
                       data={"pipeline": "spark"})  # fmt: skip
    assert bad_pipeline.status_code == 422
    for path in ("../secrets/airflow_admin.password", "/etc/passwd", "landing/*.csv", "raw", "nothing.csv"):
        response = api(settings, "POST", "/api/pipeline/process", admin, json={"path": path})
        assert response.status_code in (400, 404), (path, response.status_code)
    # Nothing new was written where uploads go (files of earlier tests may leave meanwhile),
    # nor anywhere else under a refused name.
    assert {p for target in targets for p in target.rglob("*")} - before == set()
    assert not list(settings.state_dir.rglob("*escape*")) and not Path("/etc/escape.csv").exists()


def test_admin_reveals_and_erases_a_subject(portal, samples) -> None:
    """Last of the package (conftest.py): it erases a subject of the loaded sample."""
    settings, tokens = portal
    file_id = loaded_file_id(settings, samples)
    ((token, record_count),) = query(
        settings,
        "SELECT v.token, (SELECT count(*) FROM data_records r WHERE r.file_id = %s AND r.payload::text LIKE "
        "'%%' || v.token || '%%') FROM identity_vault v WHERE v.file_id = %s AND v.id_type = 'SSN' LIMIT 1",
        file_id,
        file_id,
    )
    assert record_count >= 1, "the vault entry's token is in the loaded records"
    request = {"token": token, "reason": "ticket DSR-7"}

    assert api(settings, "POST", "/api/subjects/reveal", tokens["analyst"], json=request).status_code == 403
    no_reason = api(
        settings, "POST", "/api/subjects/reveal", tokens["admin"], json={**request, "reason": " "}
    )
    assert no_reason.status_code == 422
    revealed = api(settings, "POST", "/api/subjects/reveal", tokens["admin"], json=request)
    assert revealed.status_code == 200, revealed.text[:200]
    value = revealed.json()["value"]
    assert value and value != token and "_k1_" not in value
    audit = query(settings, "SELECT actor, details->>'reason' FROM system_audit_log WHERE action = 'vault_reveal' "
                            "AND object_id = %s", token)  # fmt: skip
    assert audit == [("portal:admin", "ticket DSR-7")]

    erased = api(settings, "POST", "/api/subjects/erase", tokens["admin"], json=request)
    assert erased.status_code == 200, erased.text[:200]
    counts = erased.json()
    assert counts["records"] == record_count and file_id in counts["files"] and counts["vault_entries"] >= 1
    assert token not in erased.text, "the answer never repeats the token"
    assert query(settings, "SELECT count(*) FROM data_records WHERE payload::text LIKE %s", f"%{token}%") == [
        (0,)
    ]
    gone = api(settings, "POST", "/api/subjects/reveal", tokens["admin"], json=request)
    assert gone.status_code == 404
