"""The portal's HTTP layer: routes, authentication, and the calls into include/portal. Mounted by
Airflow's api-server under /compliance (see compliance_portal_plugin.py)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
from airflow.api_fastapi.core_api.security import GetUserDep, get_user
from airflow.configuration import conf
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from compliance_portal.auth import portal_role, requires_admin, requires_analyst, requires_viewer
from include.portal import processors
from include.portal.config import PortalConfig, load_portal_config
from include.portal.db import ReaderConnections
from include.portal.metrics import PipelineCollector
from include.portal.queries import PortalQueries
from include.portal.uploads import UploadRejected, resolve_data_file, safe_file_name, write_atomically

STATIC_DIR = Path(__file__).resolve().parent / "static"
MANUAL_DAG_ID = "sdp_ingest_manual"
Pipeline = Literal["auto", "batch", "stream", "hybrid"]
# Multipart framing around the file (boundaries, part headers, the pipeline field).
MULTIPART_OVERHEAD_BYTES = 64 * 1024
UPLOAD_CHUNK_BYTES = 1024 * 1024


class Portal:
    """What the routes share, built on first use (the api-server imports plugins before serving)."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.queries = PortalQueries(ReaderConnections(config.reader_database_url))
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(PipelineCollector(self.queries))


@cache
def portal() -> Portal:
    return Portal(load_portal_config())


class ProcessRequest(BaseModel):
    path: str = Field(description="A file relative to the data folder, e.g. landing/history/x.csv")
    pipeline: Pipeline = "auto"
    dry_run: bool = False
    reprocess: bool = False


# -- helpers ------------------------------------------------------------------------------------
def _caller_token(request: Request) -> str:
    """The caller's Airflow token, forwarded so Airflow applies the caller's own DAG permissions."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN, "")


async def _trigger_manual_run(request: Request, path: str, pipeline: str, **options: Any) -> str:
    base_url = conf.get("api", "base_url", fallback="") or portal().config.settings.airflow_url
    body = {"logical_date": None, "conf": {"path": path, "route": pipeline, **options}}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{base_url.rstrip('/')}/api/v2/dags/{MANUAL_DAG_ID}/dagRuns",
            json=body,
            headers={"Authorization": f"Bearer {_caller_token(request)}"},
        )
    if response.status_code not in (200, 201):
        # Airflow's answer names the DAG and the problem, never the file's content.
        raise HTTPException(502, f"Airflow refused to start {MANUAL_DAG_ID}: HTTP {response.status_code}")
    return response.json()["dag_run_id"]


def _rejected(exc: UploadRejected) -> HTTPException:
    return HTTPException(exc.status_code, str(exc))


# -- API ----------------------------------------------------------------------------------------
api = APIRouter(prefix="/api")


@api.get("/me", dependencies=[requires_viewer], summary="The caller and their portal role")
def me(user: GetUserDep) -> dict[str, Any]:
    return {"user": user.get_name(), "role": portal_role(user)}


@api.get("/status", dependencies=[requires_viewer], summary="Files and jobs by status")
def status() -> dict[str, Any]:
    return portal().queries.status()


@api.get("/jobs", dependencies=[requires_viewer], summary="Recent jobs with progress, records and violations")
def jobs(
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    pipeline_type: Literal["batch", "stream", "hybrid"] | None = None,
) -> list[dict[str, Any]]:
    return portal().queries.jobs(limit=limit, pipeline=pipeline_type)


@api.post(
    "/upload",
    dependencies=[requires_admin],
    summary="Upload a file for processing (admin)",
    description="multipart/form-data with `file` and `pipeline` (auto|batch|stream|hybrid). auto: written "
    "into the landing zone, the router decides; otherwise the manual DAG runs it with that route.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "pipeline": {"type": "string", "enum": ["auto", "batch", "stream", "hybrid"]},
                        },
                    }
                }
            },
        }
    },
    status_code=201,
)
async def upload(request: Request) -> dict[str, Any]:
    config = portal().config
    # Checked before the body is read: the form parser would otherwise spool any size to disk.
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "uploads need a Content-Length")
    if int(length) > config.upload_max_bytes + MULTIPART_OVERHEAD_BYTES:
        raise HTTPException(
            413, f"the file is larger than the upload limit of {config.upload_max_bytes} bytes"
        )
    form = await request.form(max_files=1, max_fields=4)
    try:
        upload_file = form.get("file")
        pipeline = str(form.get("pipeline") or "auto")
        if pipeline not in ("auto", "batch", "stream", "hybrid"):
            raise HTTPException(422, "pipeline must be auto, batch, stream or hybrid")
        if upload_file is None or isinstance(upload_file, str):
            raise HTTPException(422, "the form needs a `file` part")
        try:
            name = safe_file_name(upload_file.filename)
        except UploadRejected as exc:
            raise _rejected(exc) from None
        target_dir = config.landing_dir if pipeline == "auto" else config.uploads_dir

        def chunks():
            upload_file.file.seek(0)
            while chunk := upload_file.file.read(UPLOAD_CHUNK_BYTES):
                yield chunk

        try:
            stored = await run_in_threadpool(
                write_atomically, chunks(), target_dir, name, max_bytes=config.upload_max_bytes
            )
        except UploadRejected as exc:
            raise _rejected(exc) from None
    finally:
        await form.close()
    answer: dict[str, Any] = {
        "file_name": stored.name,
        "pipeline": pipeline,
        "size_bytes": stored.stat().st_size,
    }
    if pipeline == "auto":
        answer["destination"] = "landing"
    else:
        relative = str(stored.relative_to(config.data_dir))
        answer["destination"] = "manual_dag"
        answer["dag_run_id"] = await _trigger_manual_run(request, relative, pipeline)
    return answer


@api.post("/pipeline/process", dependencies=[requires_admin], status_code=201,
          summary="Process a file already in the data folder (admin)")  # fmt: skip
async def process(request: Request, body: ProcessRequest) -> dict[str, Any]:
    config = portal().config
    try:
        path = resolve_data_file(config.data_dir, body.path)
    except UploadRejected as exc:
        raise _rejected(exc) from None
    relative = str(path.relative_to(config.data_dir.resolve()))
    run_id = await _trigger_manual_run(
        request, relative, body.pipeline, dry_run=body.dry_run, reprocess=body.reprocess
    )
    return {"path": relative, "pipeline": body.pipeline, "dag_run_id": run_id}


class SubjectRequest(BaseModel):
    token: str = Field(description="A token as it appears in the loaded records, e.g. SSN_k1_...")
    reason: str = Field(description="Why (a ticket reference): stored in the audit row")


@api.post("/subjects/reveal", dependencies=[requires_admin],
          summary="Re-identify a token from the vault (admin; reason required, audited)")  # fmt: skip
def vault_reveal(body: SubjectRequest, user: GetUserDep) -> dict[str, Any]:
    from compliance.vault import VaultKeyError
    from include.subjects.vault import RevealRefused, reveal

    # The writer's connection: the audit row is written in the reveal's transaction.
    try:
        value = reveal(portal().config.settings.database_url, body.token, body.reason,
                       actor=f"portal:{user.get_name()}")  # fmt: skip
    except RevealRefused as exc:
        raise HTTPException(404 if "no vault entry" in str(exc) else 422, str(exc)) from None
    except VaultKeyError as exc:
        raise HTTPException(503, f"the vault's master key cannot open this entry: {exc}") from None
    return {"token": body.token.strip(), "value": value}


@api.post("/subjects/erase", dependencies=[requires_admin],
          summary="Erase a data subject's records, violations and vault entries (admin; audited)")  # fmt: skip
def subject_erase(body: SubjectRequest, user: GetUserDep) -> dict[str, Any]:
    import psycopg

    from include.subjects.erasure import ErasureError, erase_subject, token_key_secret

    s = portal().config.settings
    try:
        key = token_key_secret(s.local_secret("token.key"))
        with psycopg.connect(s.database_url) as conn:
            result = erase_subject(conn, body.token, key=key, actor=f"portal:{user.get_name()}",
                                   reason=body.reason)  # fmt: skip
    except ErasureError as exc:
        raise HTTPException(422, str(exc)) from None
    # Counts only: the answer never repeats the token.
    return {"subject_hash": result.subject_hash, "records": result.records, "violations": result.violations,
            "vault_entries": result.vault_entries, "files": list(result.files), "audit_id": result.audit_id}  # fmt: skip


def _spark_master() -> str:
    """The batch route's master, from the Airflow connection its spark-submit task uses."""
    raw = os.environ.get("AIRFLOW_CONN_SPARK_DEFAULT", "")
    if raw.startswith("{"):
        conn = json.loads(raw)
        host, port = conn.get("host", ""), conn.get("port")
        return f"{host}:{port}" if port else host
    try:
        from airflow.models.connection import Connection

        conn = Connection.get_connection_from_secrets("spark_default")
        return f"{conn.host}:{conn.port}" if conn.port else (conn.host or "")
    except Exception:  # no connection defined: spark-submit's default, local mode
        return "local[*]"


@api.get(
    "/pipeline/processors/status", dependencies=[requires_viewer], summary="Can each route take work now"
)
async def processors_status() -> dict[str, Any]:
    config = portal().config
    from include.hybrid import FLINK_VENV

    batch = await run_in_threadpool(processors.batch_status, _spark_master(), config)
    stream = await run_in_threadpool(processors.stream_status, config)
    hybrid = await run_in_threadpool(processors.hybrid_status, config, FLINK_VENV)
    return {"batch": batch, "stream": stream, "hybrid": hybrid}


@api.get("/pipeline/metrics", dependencies=[requires_viewer], summary="Per-route totals, throughput, timings")
def pipeline_metrics(pipeline_type: Literal["batch", "stream", "hybrid"] | None = None) -> dict[str, Any]:
    return portal().queries.pipeline_metrics(pipeline_type)


@api.get("/reports/summary", dependencies=[requires_viewer],
         summary="System statistics, recent jobs, violation trends, compliance per regulation")  # fmt: skip
def reports_summary(days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    return portal().queries.summary(days=days)


@api.get(
    "/reports/quarantine", dependencies=[requires_viewer], summary="Recent quarantine entries and reasons"
)
def quarantine(limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[dict[str, Any]]:
    return portal().queries.quarantine(limit=limit)


@api.get("/database/files", dependencies=[requires_viewer], summary="Files with route, reason and counts")
def database_files(
    limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Annotated[int, Query(ge=0)] = 0
) -> list[dict[str, Any]]:
    return portal().queries.files(limit=limit, offset=offset)


@api.get("/database/records/{file_id}", dependencies=[requires_analyst],
         summary="A file's anonymized rows, paged by row number (analyst)")  # fmt: skip
def database_records(
    file_id: int,
    after: Annotated[
        int, Query(ge=-1, description="row_number cursor: next_after of the previous page")
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    page = portal().queries.records(file_id, after=after, limit=limit)
    if page is None:
        raise HTTPException(404, "no such file")
    return page


@api.get("/database/statistics", dependencies=[requires_viewer], summary="Table sizes and totals")
def database_statistics() -> dict[str, Any]:
    return portal().queries.statistics()


# -- page, docs, metrics ------------------------------------------------------------------------
pages = APIRouter()


async def _user_or_login(request: Request) -> Response | None:
    """The page's own check: a browser without a session is sent to the login page instead of
    getting a bare 401; a session without the viewer permission gets 403."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    bearer = HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials) if credentials else None
    try:
        user = await get_user(request, None, bearer)
    except HTTPException:
        login = get_auth_manager().get_url_login(next_url=str(request.url))
        return RedirectResponse(login, status_code=303)
    if portal_role(user) is None:
        return HTMLResponse("Forbidden", status_code=403)
    return None


@pages.get("/", include_in_schema=False)
async def dashboard(request: Request) -> Response:
    return await _user_or_login(request) or FileResponse(STATIC_DIR / "dashboard.html")


@pages.get("/static/{name}", include_in_schema=False, dependencies=[requires_viewer])
def static_file(name: Literal["dashboard.js", "dashboard.css"]) -> FileResponse:
    return FileResponse(STATIC_DIR / name)


@pages.get("/openapi.json", include_in_schema=False, dependencies=[requires_viewer])
def openapi_schema(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@pages.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    return await _user_or_login(request) or get_swagger_ui_html(
        openapi_url=f"{request.scope.get('root_path', '')}/openapi.json", title="Compliance portal API"
    )


@pages.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format. Aggregates only (counts by status, route, regulation and type;
    durations): no file names, ids or values. Prometheus cannot log in to Airflow (its tokens
    expire), so the endpoint is open unless SDP_PORTAL_METRICS_TOKEN is set, then it needs that
    bearer token (Prometheus: `authorization: {credentials_file: ...}`)."""
    expected = os.environ.get("SDP_PORTAL_METRICS_TOKEN", "")
    if expected and request.headers.get("authorization", "") != f"Bearer {expected}":
        raise HTTPException(401, "Not authenticated")
    return Response(generate_latest(portal().registry), media_type=CONTENT_TYPE_LATEST)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Compliance portal",
        description="Files, jobs, violations and processors of the Secure Data Pipeline. Authenticate with "
        "an Airflow token (POST /auth/token) as `Authorization: Bearer ...`, or the Airflow UI's session.",
        version="1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(api)
    app.include_router(pages)
    return app
