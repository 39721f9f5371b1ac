"""Small files in groups: one task runs the stream route for up to SDP_GROUP_FILES files of a
landing run, instead of the ten tasks per file of the ingest task group (include/ingest_dag.py).
A drop of thousands of tiny files then costs a few task processes per run, not tens of thousands.

    small_file_groups: the files decide_route sends to the stream route by size, in groups
    ingest_group:      register -> classify_and_route -> publish   every file of the group, then
                       wait until the stream consumer committed    every published file (polling),
                       stage -> validate -> load -> finalize       then each completed file

Each step is the function the per-file task calls (include/ingest.py, include/ingest_stream.py),
and a file that fails a step is finalized with the inputs the per-file finalize task would get,
so it ends with the same status and reason; the group goes on with the other files.

Retries: a journal (JSON lines, staging/groups/<key>.jsonl) records each file's progress. A retried
group skips the files an earlier try finalized (their outcome read back) and resumes the others
after their last recorded step; a redone step is one the per-file tasks' retries redo as well
(register is idempotent by SHA-256, a second publish of a job is deduplicated by the consumer,
stage starts from nothing). Two copies of the same bytes in one group are taken one after the
other: the second is registered once the first is final, so it is recognised as a duplicate.

No Airflow here: the DAG's task (dags/sdp_ingest_landing.py) is a thin wrapper.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

from include.db.audit import AuditAction
from include.db.sql import load_sql
from include.settings import Settings, settings
from include.ticket import FileTicket

log = logging.getLogger("sdp.ingest.group")

# As often as StreamFileCompleteTrigger looks at the consumer's bookkeeping.
POLL_SECONDS = 1.0
# Ends of a file before it has a data_files row (finalize's outcomes are the others).
REFUSED = "refused"
NOT_REGISTERED = "not registered"
# A finalize that raised: the file is left for the task's retry, which finalizes it again.
UNFINISHED = "unfinished"
LOADED_OUTCOMES = ("archived", "duplicate")

# Journal steps, in order: the last one a file completed.
REGISTERING, REGISTERED, ROUTED, PUBLISHED, FINALIZING = (
    "registering",
    "registered",
    "routed",
    "published",
    "finalizing",
)
# Registered while an earlier copy of the same bytes was in flight in this group: registered
# again (as a duplicate, normally) once that copy is final.
DEFERRED = "deferred"
_ENDING_ACTIONS = [AuditAction.ARCHIVED.value, AuditAction.QUARANTINED.value, AuditAction.FAILED.value]


def goes_to_stream_by_size(path: str, s: Settings) -> bool:
    """Whether decide_route sends the file to the stream route on its size alone (the landing
    DAG's options: no override, no dry run). An entry that is not a regular file (a link, a vanished
    file) counts as small: register refuses it in a group as it does in its own task group."""
    import stat

    from include.routing import FileProfile, decide_route

    try:
        entry = os.lstat(path)
    except FileNotFoundError:
        return True
    if not stat.S_ISREG(entry.st_mode):
        return True
    by_size = FileProfile(path, "", entry.st_size, 0, 0, 0, "", 0.0, urgent=False, urgent_reason="")
    return decide_route(by_size, s).route == "stream"


def small_file_groups(paths: list[str], s: Settings | None = None) -> list[list[str]]:
    """The small files of a run (stream route by size) in groups of at most SDP_GROUP_FILES. Only
    a run of more than SDP_GROUP_MIN_FILES files has groups: a user dropping a few files sees each
    step of each file."""
    s = s or settings()
    if len(paths) <= s.group_min_files:
        return []
    small = [p for p in paths if goes_to_stream_by_size(p, s)]
    groups = [small[i : i + s.group_files] for i in range(0, len(small), s.group_files)]
    log.info("%d claimed files: %d in %d group(s) of at most %d, %d on their own", len(paths), len(small),
             len(groups), s.group_files, len(paths) - len(small))  # fmt: skip
    return groups


def outside_groups(paths: list[str], groups: list[list[str]]) -> list[str]:
    """The files no group took: each gets its own task group."""
    grouped = {p for group in groups for p in group}
    return [p for p in paths if p not in grouped]


@dataclass
class FileOutcome:
    """How one file of a group ended; ids and names only."""

    name: str
    outcome: str
    file_id: int | None = None
    job_id: int | None = None
    failed_step: str | None = None  # the step that failed, for a file that was not loaded
    earlier: bool = False  # finalized by an earlier try of the group task


class GroupJournal:
    """Each file's progress in a group, one JSON line per change (the last line of a path wins;
    a line cut short by a killed worker is ignored). The key is the group's actor and paths, so a
    retry of the same task instance finds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.states: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                self.states[entry.pop("path")] = entry

    @classmethod
    def of_group(cls, paths: list[str], actor: str, s: Settings) -> GroupJournal:
        key = hashlib.sha256("\n".join([actor, *paths]).encode()).hexdigest()[:32]
        folder = s.staging_dir / "groups"
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        prune_journals(folder, max_age_seconds=s.group_journal_days * 86_400)
        return cls(folder / f"{key}.jsonl")

    def state(self, path: str) -> dict[str, Any]:
        return self.states.get(path, {})

    def record(self, path: str, **changes: Any) -> None:
        state = self.states[path] = self.state(path) | changes
        with open(self.path, "a") as handle:
            handle.write(json.dumps({"path": path, **state}) + "\n")


def prune_journals(folder: Path, *, max_age_seconds: float) -> int:
    """Delete the journals no retry can need any more (last line older than the age); their count.
    A journal is kept after its group ended so that a retry, or a task cleared in the UI, finds
    which files the earlier try finalized."""
    oldest = time.time() - max_age_seconds
    pruned = 0
    for journal in folder.glob("*.jsonl"):
        with contextlib.suppress(FileNotFoundError):  # pruned by a concurrent group task
            if journal.stat().st_mtime < oldest:
                journal.unlink()
                pruned += 1
    return pruned


def ingest_group(
    paths: list[str],
    *,
    options: dict[str, Any],
    actor: str,
    dag_id: str,
    run_id: str,
    s: Settings | None = None,
) -> dict[str, Any]:
    """Run the stream route for every file in `paths` (see the module doc); returns a summary:
    {"files", "outcomes": {outcome: count}, "by_file": [FileOutcome as dict]}. A file's failure
    never stops the others; the caller checks `options` first (ingest.check_options)."""
    s = s or settings()
    group = _Group(options, actor=actor, dag_id=dag_id, run_id=run_id, s=s,
                   journal=GroupJournal.of_group(paths, actor, s))  # fmt: skip
    group.run(paths)
    by_file = [group.outcomes[p] for p in paths]
    return {
        "files": len(paths),
        "outcomes": dict(Counter(o.outcome for o in by_file)),
        "by_file": [asdict(o) for o in by_file],
    }


def not_loaded(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The files of a summary that did not end loaded (archived or duplicate)."""
    return [f for f in summary["by_file"] if f["outcome"] not in LOADED_OUTCOMES]


class _Group:
    def __init__(self, options: dict[str, Any], *, actor: str, dag_id: str, run_id: str, s: Settings,
                 journal: GroupJournal) -> None:  # fmt: skip
        self.options, self.actor, self.dag_id, self.run_id, self.s = options, actor, dag_id, run_id, s
        self.journal = journal
        self.outcomes: dict[str, FileOutcome] = {}
        self.in_flight: set[int] = set()  # file ids between register and finalize

    def run(self, paths: list[str]) -> None:
        deferred: list[str] = []
        published = []
        for path in paths:
            ticket = self._start(path)
            if ticket == DEFERRED:
                deferred.append(path)
            elif ticket is not None:
                published.append(ticket)
        for ticket in self._wait(published):
            self._complete(ticket)
        if deferred:
            self.run(deferred)

    # -- register, route, publish --------------------------------------------------------------
    def _start(self, path: str) -> FileTicket | str | None:
        """The file's ticket once published, DEFERRED, or None when it is already final."""
        state = self.journal.state(path)
        if "outcome" in state:
            self._end(path, state["outcome"], state.get("ticket"), state.get("failed_step"), earlier=True)
            return None
        step = state.get("step")
        if step == FINALIZING:
            self._finalize_again(path, state)
            return None
        if step in (None, REGISTERING, DEFERRED):
            ticket = self._register(path, retried=step == REGISTERING)
            if ticket is None or ticket == DEFERRED:
                return ticket
            step = REGISTERED
        else:
            ticket = FileTicket(**state["ticket"])
            self.in_flight.add(ticket.file_id)
        if step == REGISTERED:
            ticket = self._route(ticket)
            if ticket is None:
                return None
            step = ROUTED
        if step == ROUTED and not self._publish(ticket):
            return None
        return ticket

    def _register(self, path: str, *, retried: bool) -> FileTicket | str | None:
        from include import ingest

        if retried and not os.path.lexists(path) and self._ending_action("landing_entry", Path(path).name):
            self.journal.record(path, outcome=REFUSED, failed_step="register")  # by the earlier try
            self._end(path, REFUSED, None, "register", earlier=True)
            return None
        self.journal.record(path, step=REGISTERING)
        try:
            ticket = ingest.register(
                path, actor=self.actor, reprocess=bool(self.options.get("reprocess")), s=self.s
            )
        except ingest.RefusedEntry:  # recorded and moved to quarantine by register
            self.journal.record(path, outcome=REFUSED, failed_step="register")
            self._end(path, REFUSED, None, "register")
            return None
        except Exception:
            # As a failed register task: the file stays where it is, nothing to finalize.
            log.warning("register failed for %s", Path(path).name, exc_info=True)
            self.journal.record(path, outcome=NOT_REGISTERED, failed_step="register")
            self._end(path, NOT_REGISTERED, None, "register")
            return None
        if ticket.file_id in self.in_flight:
            log.info("%s: the same bytes as a file in flight in this group; registered again after it",
                     ticket.name)  # fmt: skip
            self.journal.record(path, step=DEFERRED)
            return DEFERRED
        self.in_flight.add(ticket.file_id)
        self.journal.record(path, step=REGISTERED, ticket=ticket.to_dict())
        return ticket

    def _route(self, ticket: FileTicket) -> FileTicket | None:
        from compliance.io import InputError
        from include import ingest

        if ticket.duplicate:
            try:
                ingest.record_duplicate(
                    ticket, actor=self.actor, dag_id=self.dag_id, run_id=self.run_id, s=self.s
                )
            except Exception:
                log.warning("recording the duplicate %s failed", ticket.name, exc_info=True)
                self._finish(ticket, "route")
                return None
            self._finish(ticket, None)
            return None
        anonymize = (
            None if self.options.get("anonymize", "default") == "default" else self.options["anonymize"]
        )
        routed = FileTicket(**ticket.to_dict())  # the registered ticket stays as it was
        try:
            ingest.classify_and_route(
                routed, actor=self.actor, dag_id=self.dag_id, run_id=self.run_id,
                route_override=self.options.get("route", "auto"), domain=self.options.get("domain", "auto"),
                anonymize=anonymize, dry_run=bool(self.options.get("dry_run")), s=self.s,
            )  # fmt: skip
        except InputError as exc:  # the ticket carries the job opened for the unreadable file
            self._finish(routed, "route", input_error=str(exc))
            return None
        except Exception:
            log.warning("routing failed for %s", ticket.name, exc_info=True)
            self._finish(ticket, "route")
            return None
        if routed.route != "stream":  # groups hold stream-route files only
            log.error("%s routed to %s: a group runs the stream route only", routed.name, routed.route)
            self._finish(routed, "route")
            return None
        self.journal.record(routed.path, step=ROUTED, ticket=routed.to_dict())
        return routed

    def _publish(self, ticket: FileTicket) -> bool:
        from compliance.io import InputError
        from include import ingest, ingest_stream

        try:
            ingest_stream.publish(ticket, s=self.s)
        except InputError as exc:  # found past the routing sample: finalize reads the staged error
            ingest.record_input_error(ticket, str(exc))
            self._finish(ticket, "publish")
            return False
        except Exception:
            log.warning("publishing %s failed", ticket.name, exc_info=True)
            self._finish(ticket, "publish")
            return False
        self.journal.record(ticket.path, step=PUBLISHED)
        return True

    # -- wait ----------------------------------------------------------------------------------
    def _wait(self, published: list[FileTicket]) -> list[FileTicket]:
        """The files whose stream job completed, in group order, polling the check
        StreamFileCompleteTrigger makes, for at most SDP_STREAM_WAIT_TIMEOUT_SECONDS; the others
        (timed out, or superseded by a newer job of the file) are finalized as a failed wait."""
        from include.streaming.status import file_progress

        pending = {t.job_id: t for t in published}
        completed: set[int] = set()
        deadline = time.monotonic() + self.s.stream_wait_timeout_seconds
        reported = -1
        with psycopg.connect(self.s.database_url, autocommit=True) as conn:
            while pending:
                for job_id, ticket in list(pending.items()):
                    progress = file_progress(conn, job_id)
                    if progress is not None and progress.completed:
                        completed.add(pending.pop(job_id).job_id)
                    elif progress is not None and progress.superseded_by:
                        log.warning("stream job %s of %s was superseded by job %s", job_id, ticket.name,
                                    progress.superseded_by)  # fmt: skip
                        self._finish(pending.pop(job_id), "wait")
                if not pending:
                    break
                if time.monotonic() >= deadline:
                    for ticket in pending.values():
                        log.warning("stream job %s of %s not complete after %d s", ticket.job_id, ticket.name,
                                    self.s.stream_wait_timeout_seconds)  # fmt: skip
                        self._finish(ticket, "wait")
                    break
                if len(pending) != reported:  # a line when something moved, not every poll
                    log.info("waiting for the stream consumer: %d of %d files", len(pending), len(published))
                    reported = len(pending)
                time.sleep(POLL_SECONDS)
        return [t for t in published if t.job_id in completed]

    # -- stage, validate, load, finalize -------------------------------------------------------
    def _complete(self, ticket: FileTicket) -> None:
        from include import ingest, ingest_stream

        step = "stage"
        try:
            ingest_stream.stage(ticket, s=self.s)
            step = "validate"
            report = ingest.validate(ticket, actor=self.actor, s=self.s)
            if not report.success:
                failure = {"success": report.success, "suite": report.suite, "failed": report.failed,
                           "failures": report.failures}  # fmt: skip
                self._finish(ticket, "validate", validation_failure=failure)
                return
            step = "load"
            result = ingest.load(ticket, actor=self.actor, s=self.s)
        except Exception:
            log.warning("%s failed for %s", step, ticket.name, exc_info=True)
            self._finish(ticket, step)
            return
        loaded = {"records_loaded": result.records_loaded, "violations": result.violations_loaded,
                  "quarantined": result.quarantined, "duplicate": result.duplicate}  # fmt: skip
        self._finish(ticket, None, loaded=loaded)

    def _finish(self, ticket: FileTicket, failed_step: str | None, *, loaded: dict | None = None,
                validation_failure: dict | None = None, input_error: str | None = None) -> None:  # fmt: skip
        """finalize with what the per-file finalize task gets; recorded first, so a retry after a
        kill during the move finishes it instead of starting the file again."""
        inputs = {"loaded": loaded, "validation_failure": validation_failure, "input_error": input_error}
        self.journal.record(ticket.path, step=FINALIZING, ticket=ticket.to_dict(), finalize=inputs,
                            failed_step=failed_step)  # fmt: skip
        self._run_finalize(ticket, inputs, failed_step)

    def _run_finalize(self, ticket: FileTicket, inputs: dict[str, Any], failed_step: str | None) -> None:
        from include import ingest

        try:
            outcome = ingest.finalize(ticket, actor=self.actor, s=self.s, **inputs)
        except Exception:
            log.warning(
                "finalize failed for %s; the task's retry finalizes it again", ticket.name, exc_info=True
            )
            self._end(ticket.path, UNFINISHED, ticket.to_dict(), failed_step)
            return
        self.journal.record(ticket.path, outcome=outcome)
        self._end(ticket.path, outcome, ticket.to_dict(), failed_step)

    def _finalize_again(self, path: str, state: dict[str, Any]) -> None:
        """A file whose finalize an earlier try started: done if that try recorded the file's end
        (its raw file has moved), else finalize again with the same inputs."""
        ticket, inputs = FileTicket(**state["ticket"]), state["finalize"]
        self.in_flight.add(ticket.file_id)
        action = None
        if not os.path.lexists(ticket.path):
            action = self._ending_action("data_file", str(ticket.file_id))
        if action is None:
            self._run_finalize(ticket, inputs, state.get("failed_step"))
            return
        if action == AuditAction.ARCHIVED:
            duplicate = ticket.duplicate or (inputs.get("loaded") or {}).get("duplicate")
            outcome = "duplicate" if duplicate else "archived"
        else:
            outcome = str(action)
        self.journal.record(path, outcome=outcome)
        self._end(path, outcome, state["ticket"], state.get("failed_step"), earlier=True)

    def _ending_action(self, object_type: str, object_id: str) -> str | None:
        """The archived / quarantined / failed audit action this group's actor wrote for the object."""
        with psycopg.connect(self.s.database_url, autocommit=True) as conn:
            row = conn.execute(load_sql("group_finished_action"), {
                "actor": self.actor, "object_type": object_type, "object_id": object_id,
                "actions": _ENDING_ACTIONS,
            }).fetchone()  # fmt: skip
        return row[0] if row else None

    def _end(self, path: str, outcome: str, ticket: dict | None, failed_step: str | None, *,
             earlier: bool = False) -> None:  # fmt: skip
        """The file's outcome and its one log line (ids and names, no values)."""
        ticket = ticket or {}
        if ticket.get("file_id") is not None:
            self.in_flight.discard(ticket["file_id"])
        entry = FileOutcome(Path(path).name, outcome, ticket.get("file_id"), ticket.get("job_id"),
                            failed_step if outcome not in LOADED_OUTCOMES else None, earlier)  # fmt: skip
        self.outcomes[path] = entry
        log.info("group file %s: %s (file_id=%s job_id=%s%s%s)", entry.name, outcome, entry.file_id, entry.job_id,
                 f", failed at {entry.failed_step}" if entry.failed_step else "",
                 ", finalized by an earlier try" if earlier else "")  # fmt: skip
