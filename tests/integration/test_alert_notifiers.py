"""Alerts really sent through the provider notifiers (HTTP, Slack webhook, SMTP) to local sinks,
with real Airflow connections given as AIRFLOW_CONN_* variables, and their pipeline_alerts rows
written to the test PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.message
import json
import logging
import socket
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import TypeVar

import psycopg
import pytest

from include.alerts import Alert, deadline_missed, notify, task_failed
from include.db.migrate import apply_migrations
from include.settings import settings

pytestmark = pytest.mark.integration


class _RecordPost(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")  # what Slack answers; plain webhooks ignore the body

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SmtpSession(socketserver.StreamRequestHandler):
    """The server side of just enough SMTP for smtplib: no TLS, no auth, every message accepted."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb, _, argument = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb == "RCPT":
                recipients.append(argument.split(":", 1)[1].strip("<> "))
            if verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.received.append((recipients, email.message_from_bytes(b"".join(lines))))
                recipients = []
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


@contextlib.contextmanager
def _serving(server: ServerT) -> Iterator[ServerT]:
    """`server` on a thread of its own with an empty `received` list, shut down after use."""
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_sink() -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server recording every POST as (path, content type, JSON body)."""
    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), _RecordPost)) as server:
        yield server


@pytest.fixture
def smtp_sink() -> Iterator[socketserver.ThreadingTCPServer]:
    """A local SMTP server recording every message as (recipients, parsed message)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSession)
    server.daemon_threads = True
    with _serving(server):
        yield server


Configure = Callable[..., None]


@pytest.fixture
def configure(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Sets Airflow connections (AIRFLOW_CONN_*) and the alert settings naming them, in the
    environment the process's settings are read from."""
    apply_migrations(database_url)

    def set_env(connections: dict[str, dict], **env: str) -> None:
        for conn_id, conn in connections.items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        for name, value in {"SDP_ALERT_CONNECTIONS": ",".join(connections), **env}.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        assert settings().database_url == database_url

    yield set_env
    monkeypatch.undo()
    settings.cache_clear()


def alert_rows(database_url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT kind, dag_id, run_id, task_id, message FROM pipeline_alerts WHERE run_id = %s",
            (run_id,),
        ).fetchall()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_deadline_alert_posts_json_through_the_http_notifier(
    configure: Configure, http_sink: ThreadingHTTPServer, database_url: str
) -> None:
    port = http_sink.server_address[1]
    configure({"sdp_test_http": {"conn_type": "http", "host": f"http://127.0.0.1:{port}/hooks/sdp"}})
    # A manual run's id is user input: it must arrive as written, not rendered as a template.
    run_id = f"manual__{{{{ 7 * 7 }}}}-{uuid.uuid4().hex}"
    context = {"dag_run": {"dag_id": "sdp_ingest_landing", "dag_run_id": run_id}}

    asyncio.run(deadline_missed(context=context, dag_id="sdp_ingest_landing", seconds=60))

    message = f"run {run_id} of sdp_ingest_landing is still not finished 60 s after it was queued"
    assert http_sink.received == [
        (
            "/hooks/sdp",
            "application/json",
            {
                "kind": "deadline_missed",
                "message": message,
                "dag_id": "sdp_ingest_landing",
                "run_id": run_id,
                "task_id": None,
            },
        )
    ]
    assert alert_rows(database_url, run_id) == [
        ("deadline_missed", "sdp_ingest_landing", run_id, None, message)
    ]


def test_task_failure_is_sent_through_the_slack_webhook_notifier(
    configure: Configure, http_sink: ThreadingHTTPServer, database_url: str
) -> None:
    port = http_sink.server_address[1]
    # The webhook URL is the connection's password (its token), as Slack hands it out.
    configure(
        {"sdp_test_slack": {"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{port}/T0/B0/x"}}
    )
    run_id = f"scheduled__{uuid.uuid4().hex}"
    ti = SimpleNamespace(dag_id="sdp_ingest_manual", run_id=run_id, task_id="ingest_file.load")

    task_failed({"ti": ti, "exception": ValueError("row value 4111 1111 1111 1111")})

    alert = Alert(
        "task_failed",
        "task ingest_file.load failed (ValueError)",
        "sdp_ingest_manual",
        run_id,
        "ingest_file.load",
    )
    assert http_sink.received == [("/T0/B0/x", "application/json;charset=utf-8", {"text": alert.text})]
    assert "4111" not in alert.text
    assert len(alert_rows(database_url, run_id)) == 1


def test_task_failure_is_mailed_through_the_smtp_notifier(
    configure: Configure, smtp_sink: socketserver.ThreadingTCPServer, database_url: str
) -> None:
    port = smtp_sink.server_address[1]
    smtp = {
        "conn_type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "sdp@example.test"},
    }
    configure({"sdp_test_smtp": smtp}, SDP_ALERT_EMAIL_TO="ops@example.test, oncall@example.test")
    run_id = f"scheduled__{uuid.uuid4().hex}"
    ti = SimpleNamespace(dag_id="sdp_ingest_landing", run_id=run_id, task_id="ingest_file.validate")

    task_failed({"ti": ti, "exception": KeyError("customer 42")})

    [(recipients, mail)] = smtp_sink.received
    assert recipients == ["ops@example.test", "oncall@example.test"]
    assert mail["From"] == "sdp@example.test"
    assert mail["Subject"] == "[SDP task_failed] sdp_ingest_landing"
    [body] = [part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart()]
    assert f"dag=sdp_ingest_landing run={run_id} task=ingest_file.validate" in body
    assert "task ingest_file.validate failed (KeyError)" in body
    assert "customer" not in body
    assert len(alert_rows(database_url, run_id)) == 1


def test_an_unreachable_notifier_neither_fails_the_callback_nor_stops_the_others(
    configure: Configure, http_sink: ThreadingHTTPServer, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = http_sink.server_address[1]
    configure(
        {
            "sdp_test_down": {"conn_type": "http", "host": f"http://127.0.0.1:{closed_port()}/hooks"},
            "sdp_test_http": {"conn_type": "http", "host": f"http://127.0.0.1:{port}/hooks"},
        }
    )
    run_id = f"scheduled__{uuid.uuid4().hex}"
    ti = SimpleNamespace(dag_id="sdp_ingest_landing", run_id=run_id, task_id="ingest_file.load")

    with caplog.at_level(logging.WARNING, logger="sdp.alerts"):
        task_failed({"ti": ti, "exception": RuntimeError()})

    assert "alert notifier 'sdp_test_down' failed: ConnectionError" in caplog.text
    assert [body["run_id"] for _, _, body in http_sink.received] == [run_id]
    assert len(alert_rows(database_url, run_id)) == 1


def test_a_connection_defined_after_start_is_used_at_the_next_alert(
    configure: Configure, http_sink: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure({})
    monkeypatch.setenv("SDP_ALERT_CONNECTIONS", "sdp_test_late")
    settings.cache_clear()
    alert = Alert("deadline_missed", "late", "sdp_ingest_landing", "manual__late", None)
    assert notify(alert) == []

    port = http_sink.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_SDP_TEST_LATE", json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{port}/"})
    )
    assert notify(alert) == ["sdp_test_late"]
    assert [body for _, _, body in http_sink.received] == [alert.as_json()]
