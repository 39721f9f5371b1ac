"""What the stream consumer's modules pass around: a job's state, a rejected message, a
micro-batch sorted by kind, and the counts of one batch."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from confluent_kafka import Message

from compliance.columns import ColumnClass


@dataclass
class FileState:
    """A row of stream_file_state: what the consumer knows about one job of a streamed file."""

    job_id: int
    file_id: int
    domain: str
    anonymize: str
    columns: list[ColumnClass]
    rows_total: int | None
    completed: bool
    republished: bool  # published twice: its rows may already be stored
    superseded: bool = False  # a newer job of the file loaded on another route: ignore the rest

    @property
    def may_repeat(self) -> bool:
        return self.republished or self.completed


@dataclass
class Rejected:
    """A message for the dead-letter topic. `file` / `row` are set only when known for sure."""

    message: Message
    reason: str
    file: FileState | None = None
    row: int | None = None


@dataclass
class JobWork:
    """One batch's work for one job, added to its stream_file_state row (stream_state_add.sql)."""

    rows_loaded: int = 0
    rows_quarantined: int = 0
    violations: int = 0
    pre_processing_s: float = 0.0
    pure_processing_s: float = 0.0
    post_processing_s: float = 0.0


@dataclass
class BatchStats:
    messages: int = 0
    rows_loaded: int = 0
    violations: int = 0
    quarantined: int = 0
    dead_lettered: int = 0
    ignored: int = 0  # messages of a job a newer job of the same file replaced
    jobs_completed: list[int] = field(default_factory=list)
    offsets: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)  # first, next


@dataclass
class SortedBatch:
    """A micro-batch's messages by kind; keys are (file_id, job_id) with job_id None when the
    message does not say."""

    starts: list[tuple[int, int | None, Message]] = field(default_factory=list)
    ends: list[tuple[int, int | None, Message]] = field(default_factory=list)
    rows: dict[tuple[int, int | None], list[Message]] = field(default_factory=lambda: defaultdict(list))
    quarantined: list[tuple[int, int | None, Message]] = field(default_factory=list)

    def file_ids(self) -> set[int]:
        """Every file the batch has a message of."""
        ids = {file_id for file_id, _ in self.rows}
        return ids | {file_id for file_id, _, _ in [*self.starts, *self.ends, *self.quarantined]}
