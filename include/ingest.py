"""What happens to one file, step by step, independent of Airflow: the DAGs' tasks are thin
wrappers around these functions (so they are testable without a scheduler).

    register -> classify_and_route -> (engine writes staged output) -> validate -> load -> finalize

Every step writes a system_audit_log row with the actor "dag_id/run_id/task_id". Logs carry
names, counts, routes and timings, never values from the file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import uuid
from pathlib import Path

import psycopg

from include.db.audit import AuditAction, audit
from include.db.files import (
    NO_ENGINE,
    FileStatus,
    JobStatus,
    finish_job,
    register_file,
    set_file_status,
    sha256_of,
    start_job,
)
from include.routing import DEFAULT_ANONYMIZE, ROUTES, WHOLE_FILE_METHODS, decide_route, profile_file
from include.settings import Settings, settings
from include.staging import ERROR, MANIFEST, remove_staged
from include.ticket import FileTicket

log = logging.getLogger("sdp.ingest")


def _connect(s: Settings) -> psycopg.Connection:
    return psycopg.connect(s.database_url, autocommit=True)


def check_options(options: dict) -> None:
    """Run options that contradict each other (ValueError with the reason), before any file is touched."""
    from compliance.pipeline import ANONYMIZE_METHODS, DOMAINS

    route = options.get("route", "auto")
    anonymize = options.get("anonymize", "default")
    if route not in ("auto", *ROUTES):
        raise ValueError(f"route must be auto or one of {', '.join(ROUTES)}, got {route!r}")
    if anonymize not in ("default", *ANONYMIZE_METHODS):
        raise ValueError(
            f"anonymize must be default or one of {', '.join(ANONYMIZE_METHODS)}, got {anonymize!r}"
        )
    if options.get("domain", "auto") not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, got {options.get('domain')!r}")
    if anonymize in WHOLE_FILE_METHODS and route in ("stream", "hybrid"):
        raise ValueError(
            f"{anonymize} needs the whole file at once: only the batch route does it, not {route}"
        )
    k = int(options.get("k") or 0)
    if k == 1 or k < 0:
        raise ValueError(f"k must be 0 (the policy's k) or at least 2, got {k}")


class RefusedEntry(ValueError):
    """A claimed entry that is never read: a link, not a regular file, gone, or still growing. It
    was moved to quarantine (when still there) and recorded; the message is the reason."""


def entry_refusal(path: Path) -> str | None:
    """Why the entry at `path` must not be read, or None for a regular file with a single name.
    Looked at without following it: a link may point anywhere, and the archive's chmod would
    change the target's mode."""
    try:
        entry = os.lstat(path)
    except FileNotFoundError:
        return "the claimed file is gone: deleted or moved by something else before it was read"
    if stat.S_ISLNK(entry.st_mode):
        return f"a symbolic link (to {os.readlink(path)!r}): links are never followed"
    if not stat.S_ISREG(entry.st_mode):
        return "not a regular file (a directory, FIFO, socket or device)"
    if entry.st_nlink > 1:
        return f"a hard link ({entry.st_nlink} names for the same data): links are never followed"
    return None


def refuse_entry(path: Path, reason: str, *, actor: str, s: Settings) -> None:
    """Move the entry itself (a rename: never followed, never copied) into quarantine with its
    reason, record the reason (no data_files row: nothing was read), raise RefusedEntry."""
    target = None
    if os.path.lexists(path):
        folder = s.quarantine_dir / f"refused-{uuid.uuid4().hex[:16]}"
        folder.mkdir(parents=True)
        os.chmod(folder, 0o700)
        target = folder / path.name
        os.rename(path, target)
        (folder / "REASON.txt").write_text(reason + "\n")
        _remove_empty_run_folder(path, s)
    action = AuditAction.QUARANTINED if target else AuditAction.FAILED
    with psycopg.connect(s.database_url) as conn:  # one transaction
        _record_reason(conn, None, None, f"{path.name}: {reason}")
        audit(conn, actor=actor, action=action, object_type="landing_entry", object_id=path.name,
              details={"reason": reason, "quarantine": str(target) if target else None})  # fmt: skip
    log.warning("refused %s: %s", path.name, reason)
    raise RefusedEntry(f"{path.name}: {reason}")


def register(path: str, *, actor: str, reprocess: bool = False, s: Settings | None = None) -> FileTicket:
    """Hash and register the file; a file whose SHA-256 is already loaded is a duplicate. Raises
    RefusedEntry for an entry that must not be read (entry_refusal) or that changed while hashed."""
    s = s or settings()
    file = Path(path)
    if refusal := entry_refusal(file):
        refuse_entry(file, refusal, actor=actor, s=s)
    before = file.stat()
    digest = sha256_of(file)
    size = file.stat().st_size
    if (size, file.stat().st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        refuse_entry(file, "still being written after it was claimed (it changed while it was hashed)",
                     actor=actor, s=s)  # fmt: skip
    fmt = _format_or_unknown(file)
    with _connect(s) as conn:
        record = register_file(conn, str(file), digest, size, fmt)
        duplicate = (
            (not record.is_new)
            and record.status in (FileStatus.LOADED, FileStatus.DUPLICATE)
            and not reprocess
        )
        audit(
            conn,
            actor=actor,
            action=AuditAction.SENSED,
            object_type="data_file",
            object_id=str(record.id),
            details={
                "name": file.name,
                "sha256": digest,
                "size_bytes": size,
                "format": fmt,
                "duplicate": duplicate,
            },
        )
    log.info(
        "sensed %s: file_id=%s size=%d format=%s duplicate=%s", file.name, record.id, size, fmt, duplicate
    )
    return FileTicket(str(file), file.name, digest, size, record.id, duplicate, reprocess=reprocess)


def _format_or_unknown(path: Path) -> str:
    from compliance.io import InputError, detect_format

    try:
        return detect_format(path)
    except InputError:
        return "unknown"


def classify_and_route(
    ticket: FileTicket,
    *,
    actor: str,
    dag_id: str,
    run_id: str,
    route_override: str = "auto",
    domain: str = "auto",
    anonymize: str | None = None,
    dry_run: bool = False,
    s: Settings | None = None,
) -> FileTicket:
    """Profile the file, choose the route, open the job row. Unreadable files raise InputError
    (the run's finalize step quarantines them with that message)."""
    from compliance.io import InputError

    s = s or settings()
    with _connect(s) as conn:
        try:
            profile = profile_file(ticket.path)
        except InputError as exc:
            ticket.job_id = start_job(conn, ticket.file_id, NO_ENGINE, f"unreadable: {exc}", dag_id, run_id)
            raise
        decision = decide_route(profile, s, route_override, anonymize=anonymize, dry_run=dry_run)
        ticket.domain = profile.domain if domain == "auto" else domain
        ticket.route, ticket.engine, ticket.route_reason = decision.route, decision.engine, decision.reason
        ticket.anonymize = anonymize or DEFAULT_ANONYMIZE[decision.route]
        ticket.dry_run = dry_run
        ticket.job_id = start_job(conn, ticket.file_id, decision.engine, decision.reason, dag_id, run_id)
        ticket.staging_dir = str(s.staging_dir / ticket.sha256 / str(ticket.job_id))
        set_file_status(conn, ticket.file_id, FileStatus.PROCESSING, domain=ticket.domain)
        audit(conn, actor=actor, action=AuditAction.CLASSIFIED, object_type="data_file",
              object_id=str(ticket.file_id), details=profile.to_dict() | {"path": ticket.name})  # fmt: skip
        audit(conn, actor=actor, action=AuditAction.ROUTED, object_type="data_processing_job",
              object_id=str(ticket.job_id),
              details={"route": decision.route, "engine": decision.engine, "reason": decision.reason,
                       "anonymize": ticket.anonymize, "dry_run": dry_run})  # fmt: skip
    log.info(
        "routed %s: route=%s engine=%s reason=%s domain=%s rows~%d pii_density=%.3f anonymize=%s",
        ticket.name, decision.route, decision.engine, decision.reason, ticket.domain,
        profile.row_estimate, profile.pii_density, ticket.anonymize,
    )  # fmt: skip
    return ticket


def record_duplicate(
    ticket: FileTicket, *, actor: str, dag_id: str, run_id: str, s: Settings | None = None
) -> None:
    """The same bytes were loaded before: a job row says so and nothing is loaded."""
    s = s or settings()
    with _connect(s) as conn:
        ticket.job_id = start_job(conn, ticket.file_id, NO_ENGINE, "duplicate: this SHA-256 is already loaded",
                                  dag_id, run_id)  # fmt: skip
        finish_job(conn, ticket.job_id, JobStatus.DUPLICATE, {})
        audit(conn, actor=actor, action=AuditAction.DUPLICATE, object_type="data_file", object_id=str(ticket.file_id),
              details={"sha256": ticket.sha256, "name": ticket.name})  # fmt: skip
    log.info("duplicate %s: sha256 already loaded as file_id=%s; nothing loaded", ticket.name, ticket.file_id)


def finalize(ticket: FileTicket, *, actor: str, loaded: dict | None, validation_failure: dict | None,
             input_error: str | None = None, s: Settings | None = None) -> str:  # fmt: skip
    """After the run's other steps: archive when loaded (or duplicate), leave dry runs alone,
    quarantine otherwise with the most specific reason we have."""
    s = s or settings()
    if ticket.dry_run and not validation_failure and not staged_error(ticket):
        if ticket.job_id:
            with _connect(s) as conn:
                finish_job(conn, ticket.job_id, JobStatus.DRY_RUN, {})
        return "dry_run"
    if ticket.duplicate or (loaded and not loaded.get("dry_run")):
        archive(ticket, actor=actor, s=s)
        # The load committed (or had nothing to add): the staged copy of the results goes.
        _remove_staging(ticket, s)
        return "duplicate" if ticket.duplicate or loaded.get("duplicate") else "archived"
    if not os.path.lexists(ticket.path):
        fail_vanished(ticket, actor=actor, s=s)
        return "failed"
    if input_error:
        reason = f"unreadable file: {input_error}"
    elif validation_failure:
        failed = ", ".join(
            sorted(
                {f.get("column") or f.get("expectation", "?") for f in validation_failure.get("failures", [])}
            )
        )
        reason = (
            f"validation failed ({validation_failure.get('failed')} expectation(s); columns: {failed or '-'})"
        )
    else:
        reason = staged_error(ticket) or "processing failed before the load; see the task logs of this run"
    quarantine(ticket, reason, actor=actor, s=s)
    return "quarantined"


def fail_vanished(ticket: FileTicket, *, actor: str, s: Settings) -> None:
    """The claimed file disappeared before it was loaded: its job (opened now if the run had none)
    and the file end as failed, with the reason where the portal shows reasons. Nothing to move."""
    reason = "the claimed file disappeared (deleted or moved by something else) before it was loaded"
    with psycopg.connect(s.database_url) as conn:  # one transaction
        if ticket.route == "stream" and ticket.job_id:
            from include.ingest_stream import retract

            retract(conn, ticket)  # rows the consumer may have loaded for a file that is not accepted
        if not ticket.job_id:
            ticket.job_id = start_job(conn, ticket.file_id, NO_ENGINE, reason)
        _record_reason(conn, ticket.file_id, ticket.job_id, reason)
        finish_job(conn, ticket.job_id, JobStatus.FAILED, {})
        set_file_status(conn, ticket.file_id, FileStatus.FAILED)
        audit(conn, actor=actor, action=AuditAction.FAILED, object_type="data_file",
              object_id=str(ticket.file_id), details={"reason": reason, "job_id": ticket.job_id})  # fmt: skip
    log.warning("failed %s: %s", ticket.name, reason)


def record_input_error(ticket: FileTicket, reason: str) -> None:
    """An unreadable file found by a step that is not an engine (the stream route's producer):
    the staged error engines write, so finalize quarantines the file with this reason."""
    from compliance.engine_job import write_json_atomic

    folder = Path(ticket.staging_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / ERROR, {"reason": str(reason).splitlines()[0]})


def engine_arguments(ticket: FileTicket, *, k: int = 0) -> list[str]:
    """The command-line contract shared by the Spark and the Flink job."""
    args = [
        "--input", ticket.path, "--staging-dir", ticket.staging_dir, "--anonymize", ticket.anonymize,
        "--domain", ticket.domain, "--job-key", str(ticket.job_id),
    ]  # fmt: skip
    return [*args, "--k", str(k)] if k else args


def hybrid_shell_command(args: list[str], s: Settings | None = None) -> str:
    """A shell command line for the hybrid (Flink) job: the Flink venv's environment in front of the
    job's argv. Only variables the launcher changes are written out; secrets stay in the inherited
    environment, never on a command line (which logs and `ps` show)."""
    import shlex

    from include.hybrid import hybrid_command

    argv, env = hybrid_command(args, s or settings())
    unset = [f"--unset={name}" for name in sorted(os.environ) if name not in env]
    changed = [
        f"{name}={value}"
        for name, value in sorted(env.items())
        if os.environ.get(name) != value and name.startswith(_PLAIN_ENV_PREFIXES)
    ]
    return "exec " + shlex.join(["env", *unset, *changed, *argv])


# Variables of the launcher's environment that may appear on a command line (paths, no secrets).
_PLAIN_ENV_PREFIXES = ("PATH", "PYTHONPATH", "JAVA_HOME", "VIRTUAL_ENV", "FLINK_", "PYFLINK_")


def staged_error(ticket: FileTicket) -> str | None:
    if not ticket.staging_dir:
        return None
    path = Path(ticket.staging_dir) / ERROR
    if path.exists():
        return json.loads(path.read_text()).get("reason")
    return None


def _audit_processed(ticket: FileTicket, *, actor: str, s: Settings) -> None:
    """The engine's own report (the manifest): counts and the timing split, no values."""
    from include.staging import StagedManifest

    manifest = StagedManifest.read(Path(ticket.staging_dir))
    details = {
        "engine": manifest.engine,
        "anonymize": manifest.anonymize,
        "records_in": manifest.records_in,
        "records_staged": manifest.records_staged,
        "records_quarantined": manifest.records_quarantined,
        "records_suppressed": manifest.records_suppressed,
        "violations": manifest.violations,
        "pre_processing_s": round(manifest.pre_processing_s, 3),
        "pure_processing_s": round(manifest.pure_processing_s, 3),
        "post_processing_s": round(manifest.post_processing_s, 3),
        "records_per_second": round(manifest.records_per_second, 1),
    }
    with _connect(s) as conn:
        audit(conn, actor=actor, action=AuditAction.PROCESSED, object_type="data_processing_job",
              object_id=str(ticket.job_id), details=details)  # fmt: skip
    log.info("processed %s: %s", ticket.name, ", ".join(f"{k}={v}" for k, v in details.items()))


def validate(ticket: FileTicket, *, actor: str, s: Settings | None = None):
    """Great Expectations on the staged output; the summary is stored in PostgreSQL."""
    from include.db.audit import record_validation
    from include.validation import validate_staged

    s = s or settings()
    _audit_processed(ticket, actor=actor, s=s)
    report = validate_staged(Path(ticket.staging_dir), sample_rows=s.validation_sample_rows)
    with _connect(s) as conn:
        # Stores the summary and writes the `validated` audit row.
        record_validation(conn, ticket.file_id, ticket.job_id, report.success, report.summary, suite=report.suite,
                          evaluated=report.evaluated, failed=report.failed, actor=actor)  # fmt: skip
    log.info("validated %s: success=%s evaluated=%d failed=%d", ticket.name, report.success, report.evaluated,
             report.failed)  # fmt: skip
    return report


def load(ticket: FileTicket, *, actor: str, s: Settings | None = None):
    """COPY + checks + one transaction; the loader writes the `loaded`/`duplicate` audit row in
    that same transaction."""
    from include.db.loader import load_staged

    s = s or settings()
    if ticket.route == "stream":
        # The consumer committed rows and violations as they streamed; process_stream exported them
        # for validation, so the manifest has the counts.
        from include.db.loader import LoadResult
        from include.staging import StagedManifest

        manifest = StagedManifest.read(Path(ticket.staging_dir))
        log.info("loaded %s: records=%d violations=%d quarantined=%d by the stream consumer", ticket.name,
                 manifest.records_staged, manifest.violations, manifest.records_quarantined)  # fmt: skip
        return LoadResult(manifest.records_staged, manifest.violations, manifest.records_quarantined, False)
    result = load_staged(
        s.database_url, Path(ticket.staging_dir), file_id=ticket.file_id, job_id=ticket.job_id,
        reprocess=ticket.reprocess, actor=actor,
    )  # fmt: skip
    log.info("loaded %s: records=%d violations=%d quarantined=%d duplicate=%s in %.1f s (%s)", ticket.name,
             result.records_loaded, result.violations_loaded, result.quarantined, result.duplicate,
             result.seconds, " ".join(f"{k}={v:.1f}" for k, v in result.phases.items()))  # fmt: skip
    return result


def archive(ticket: FileTicket, *, actor: str, s: Settings | None = None) -> Path:
    """Move the raw file into the restricted raw archive (0600 file, 0700 folder)."""
    s = s or settings()
    target = _move_restricted(
        Path(ticket.path), s.raw_dir / ticket.sha256[:2], f"{ticket.sha256}-{ticket.name}"
    )
    _remove_empty_run_folder(Path(ticket.path), s)
    with _connect(s) as conn:
        audit(conn, actor=actor, action=AuditAction.ARCHIVED, object_type="data_file", object_id=str(ticket.file_id),
              details={"archive": str(target), "duplicate": ticket.duplicate})  # fmt: skip
    log.info("archived %s -> %s", ticket.name, target)
    return target


def quarantine(ticket: FileTicket, reason: str, *, actor: str, s: Settings | None = None) -> Path:
    """Move the raw file to quarantine/ with a reason file; record it. Nothing is deleted."""
    s = s or settings()
    folder = s.quarantine_dir / f"{ticket.sha256[:16]}-{ticket.job_id or 'nojob'}"
    target = _move_restricted(Path(ticket.path), folder, ticket.name)
    _remove_empty_run_folder(Path(ticket.path), s)
    (folder / "REASON.txt").write_text(reason + "\n")
    with psycopg.connect(s.database_url) as conn:  # one transaction
        if ticket.route == "stream" and ticket.job_id:
            from include.ingest_stream import retract

            retract(conn, ticket)  # what the consumer loaded for a file that is not accepted
        _record_reason(conn, ticket.file_id, ticket.job_id, reason)
        set_file_status(conn, ticket.file_id, FileStatus.QUARANTINED)
        if ticket.job_id:
            finish_job(conn, ticket.job_id, JobStatus.QUARANTINED, {})
        audit(conn, actor=actor, action=AuditAction.QUARANTINED, object_type="data_file",
              object_id=str(ticket.file_id), details={"reason": reason, "quarantine": str(target)})  # fmt: skip
    log.warning("quarantined %s: %s", ticket.name, reason)
    # The staging folder stays: it is the evidence a reviewer reads (what failed validation).
    return target


def _remove_staging(ticket: FileTicket, s: Settings) -> None:
    """The job's staging folder, once nothing will read it again (after the load's commit)."""
    if not ticket.staging_dir:
        return
    try:
        if remove_staged(ticket.staging_dir, s.staging_dir):
            log.info("removed the staging folder of %s", ticket.name)
    except ValueError as exc:
        log.warning("staging folder of %s kept: %s", ticket.name, exc)


def _record_reason(conn: psycopg.Connection, file_id: int | None, job_id: int | None, reason: str) -> None:
    """A file-level data_quarantine row: where the portal shows why a file was not loaded."""
    conn.execute(
        "INSERT INTO data_quarantine (file_id, job_id, row_number, reason) VALUES (%s, %s, NULL, %s)",
        (file_id, job_id, reason),
    )


def _move_restricted(source: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / name
    if source.exists():
        shutil.move(str(source), target)
        os.chmod(target, 0o600)
    return target


def _remove_empty_run_folder(source: Path, s: Settings) -> None:
    """A landing run's inbox/<run>/ folder goes once its last file has moved on."""
    if source.parent.parent == s.inbox_dir:
        with contextlib.suppress(OSError):
            source.parent.rmdir()


def staged_complete(ticket: FileTicket) -> bool:
    return bool(ticket.staging_dir) and (Path(ticket.staging_dir) / MANIFEST).exists()
