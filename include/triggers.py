"""Triggers (they run in the triggerer, so no worker slot is held while they wait).

LandingZoneTrigger: one event per new, fully written file in the landing zone.

Why our own trigger: Airflow's AssetWatcher accepts only event triggers, and the stock
FileDeleteTrigger deletes the file it saw. This trigger *claims* a file instead: once its size
and mtime have been stable for `stable_seconds` (and it does not carry a temporary name), it is
atomically renamed into the inbox folder and its new path is the event payload. The rename is
what makes the event exactly-once: a restarted triggerer cannot see the same file twice, and a
file is never deleted.

StreamFileCompleteTrigger: fires when the stream consumer has committed every announced row of a
job (stream route), polling the consumer's bookkeeping in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

# Upload conventions for files still being written.
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".uploading", ".swp")


def is_candidate(path: Path) -> bool:
    name = path.name
    return not (name.startswith((".", "_", "~")) or name.lower().endswith(TEMPORARY_SUFFIXES))


def claim(path: Path, inbox: Path) -> Path:
    """Move a landed file into the inbox under a unique name (atomic on one filesystem)."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}-{path.name}"
    os.rename(path, target)
    return target


def take_for_run(announced: list[str], *, inbox: Path, run_id: str) -> list[str]:
    """Move the announced files and any other waiting inbox file into inbox/<run>/; returns the
    new paths of the files this call took (a file another run took first is skipped)."""
    folder = inbox / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    waiting = {Path(p) for p in announced} | {p for p in inbox.glob("*") if p.is_file()}
    taken = []
    for path in sorted(waiting):
        if path.parent != inbox:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:  # taken by another run
            continue
        taken.append(str(target))
    return taken


class LandingZoneTrigger(BaseEventTrigger):
    def __init__(
        self,
        directory: str,
        inbox: str,
        poll_seconds: float = 2.0,
        stable_seconds: float = 2.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.directory = directory
        self.inbox = inbox
        self.poll_seconds = poll_seconds
        self.stable_seconds = stable_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "directory": self.directory,
                "inbox": self.inbox,
                "poll_seconds": self.poll_seconds,
                "stable_seconds": self.stable_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        directory, inbox = Path(self.directory), Path(self.inbox)
        # path -> (size, mtime_ns, first time this size/mtime was seen)
        seen: dict[Path, tuple[int, int, float]] = {}
        while True:
            now = time.monotonic()
            current: dict[Path, tuple[int, int, float]] = {}
            for path, size, mtime in _scan(directory):
                previous = seen.get(path)
                since = previous[2] if previous and previous[:2] == (size, mtime) else now
                current[path] = (size, mtime, since)
                if now - since >= self.stable_seconds:
                    try:
                        claimed = claim(path, inbox)
                    except FileNotFoundError:  # taken by someone else meanwhile
                        current.pop(path, None)
                        continue
                    current.pop(path, None)
                    self.log.info("landing: claimed %s (%d bytes)", path.name, size)
                    yield TriggerEvent({"path": str(claimed), "name": path.name, "size_bytes": size})
            seen = current
            await asyncio.sleep(self.poll_seconds)


def _scan(directory: Path) -> list[tuple[Path, int, int]]:
    """Regular files directly in the landing folder (sub-folders such as history/ are not ours)."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and is_candidate(Path(entry.name)):
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            found.append((Path(entry.path), stat.st_size, stat.st_mtime_ns))
    return found


class StreamFileCompleteTrigger(BaseTrigger):
    """One event when the job's file is complete in PostgreSQL. The connection details are read
    from the triggerer's own settings, never serialized with the trigger (they hold a password)."""

    def __init__(self, job_id: int, poll_seconds: float = 1.0) -> None:
        super().__init__()
        self.job_id = job_id
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"job_id": self.job_id, "poll_seconds": self.poll_seconds},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from include.settings import settings
        from include.streaming.status import afile_progress

        reported = -1
        while True:
            progress = await afile_progress(settings().database_url, self.job_id)
            if progress is not None and progress.completed:
                yield TriggerEvent({"status": "complete", **progress.counts()})
                return
            if progress is not None and progress.superseded_by:  # a reprocess replaced this job
                yield TriggerEvent({"status": "superseded", **progress.counts()})
                return
            done = progress.rows_loaded + progress.rows_quarantined if progress else 0
            if done != reported:  # a progress line when something moved, not every poll
                total = progress.rows_total if progress else None
                self.log.info("stream job %s: %d of %s rows committed", self.job_id, done, total or "?")
                reported = done
            await asyncio.sleep(self.poll_seconds)
