"""Triggers (they run in the triggerer, so no worker slot is held while they wait).

LandingZoneTrigger: one event per new, fully written file in the landing zone.

Why our own trigger: Airflow's AssetWatcher accepts only event triggers, and the stock
FileDeleteTrigger deletes the file it saw. This trigger *claims* a file instead: once its size
and mtime have been stable for `stable_seconds` (and it does not carry a temporary name), it is
atomically renamed into the inbox folder and its new path is the event payload. The rename is
what makes the event exactly-once: a restarted triggerer cannot see the same file twice, and a
file is never deleted.

Hostile drops: the claimed name is made safe (claim_name); links and other non-regular entries
are claimed like files (the rename moves the link itself) so the run's register step refuses and
records them; at most `max_waiting` claimed files wait in the inbox (a run takes at most that
many, below Airflow's max_map_length), the rest stay in the landing zone until there is room;
files left waiting with no run to take them are announced again after `stale_seconds`.

StreamFileCompleteTrigger: fires when the stream consumer has committed every announced row of a
job (stream route), polling the consumer's bookkeeping in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import unicodedata
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


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME_CHARS = 120


def safe_name(name: str) -> str:
    """The name a claimed file goes on with: compatibility forms folded (NFKC), then anything but
    ASCII letters, digits and . _ - replaced by _ (shell metacharacters, quotes, bidi overrides,
    zero-width and control characters, undecodable bytes), the end kept when too long (the
    suffix tells the format). The uploads' rule (include/portal/uploads.py), rewriting instead of
    refusing: a dropped file is already here."""
    folded = unicodedata.normalize("NFKC", name.encode("utf-8", "replace").decode("utf-8"))
    return _UNSAFE_NAME.sub("_", folded)[-MAX_NAME_CHARS:] or "_"


def claim(path: Path, inbox: Path) -> Path:
    """Move a landed entry into the inbox under a unique, safe name (atomic on one filesystem;
    a link is moved, never followed)."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}-{safe_name(path.name)}"
    os.rename(path, target)
    return target


def waiting_in_inbox(inbox: Path) -> list[Path]:
    """Claimed entries no run has taken yet (run folders are directories, and not followed)."""
    try:
        return [Path(e.path) for e in os.scandir(inbox) if not e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def take_for_run(announced: list[str], *, inbox: Path, run_id: str, max_files: int = 500) -> list[str]:
    """Move the announced files and any other waiting inbox file, at most `max_files` in all, into
    inbox/<run>/; returns the new paths of the files this call took (a file another run took first
    is skipped). The rest stay waiting for the next run."""
    folder = inbox / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    waiting = {Path(p) for p in announced} | set(waiting_in_inbox(inbox))
    taken: list[str] = []
    for path in sorted(waiting):
        if path.parent != inbox or len(taken) >= max_files:
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
        max_waiting: int = 500,
        stale_seconds: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.directory = directory
        self.inbox = inbox
        self.poll_seconds = poll_seconds
        self.stable_seconds = stable_seconds
        self.max_waiting = max_waiting
        self.stale_seconds = stale_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "directory": self.directory,
                "inbox": self.inbox,
                "poll_seconds": self.poll_seconds,
                "stable_seconds": self.stable_seconds,
                "max_waiting": self.max_waiting,
                "stale_seconds": self.stale_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        directory, inbox = Path(self.directory), Path(self.inbox)
        # path -> (size, mtime_ns, first time this size/mtime was seen)
        seen: dict[Path, tuple[int, int, float]] = {}
        last_event = time.monotonic()
        while True:
            now = time.monotonic()
            current: dict[Path, tuple[int, int, float]] = {}
            room = self.max_waiting - len(waiting_in_inbox(inbox))
            for path, size, mtime in _scan(directory):
                previous = seen.get(path)
                since = previous[2] if previous and previous[:2] == (size, mtime) else now
                current[path] = (size, mtime, since)
                if now - since >= self.stable_seconds and room > 0:
                    try:
                        claimed = claim(path, inbox)
                    except FileNotFoundError:  # taken by someone else meanwhile
                        current.pop(path, None)
                        continue
                    current.pop(path, None)
                    room -= 1
                    last_event = now
                    yield TriggerEvent(self._claimed(path, claimed, size))
            if now - last_event >= self.stale_seconds and waiting_in_inbox(inbox):
                # Claimed files no run took (events folded into a run that had already taken its
                # files): one more event starts a run that sweeps them.
                last_event = now
                self.log.info("landing: announcing the files still waiting in the inbox")
                yield TriggerEvent({"waiting": len(waiting_in_inbox(inbox))})
            seen = current
            await asyncio.sleep(self.poll_seconds)

    def _claimed(self, path: Path, claimed: Path, size: int) -> dict[str, Any]:
        """The event payload; a renamed file's original name only escaped (%a: no control or bidi
        character, no undecodable byte reaches a log line or the asset event)."""
        name = claimed.name.split("-", 2)[2]
        payload: dict[str, Any] = {"path": str(claimed), "name": name, "size_bytes": size}
        if name != path.name:
            payload["renamed_from"] = ascii(path.name)
            self.log.info("landing: claimed %s (%d bytes), renamed from %a", name, size, path.name)
        else:
            self.log.info("landing: claimed %s (%d bytes)", name, size)
        return payload


def _scan(directory: Path) -> list[tuple[Path, int, int]]:
    """Entries directly in the landing folder (sub-folders such as history/ are not ours)."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    for entry in entries:
        # Links and other non-directories are claimed too, never followed: register refuses them.
        if not entry.is_dir(follow_symlinks=False) and is_candidate(Path(entry.name)):
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
