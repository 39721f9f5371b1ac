"""The consumer group's offsets in PostgreSQL (table stream_offsets), the half of the exactly-once
store that says where the group resumes.

The consumer resumes from these offsets, never from Kafka's committed offsets, and a batch writes
its offsets in the transaction that writes its rows (include/streaming/transaction.py): killed at
any moment, the consumer either committed a batch with its offsets or nothing of it. A batch
first locks its partitions' stored offsets and compares them with where it starts: a consumer
that lost its partitions in a rebalance (or that replays a batch already committed) finds them
moved on and discards its batch (StaleBatch).
"""

from __future__ import annotations

import psycopg

from include.db.sql import load_sql
from include.streaming.consumer_config import log

# (topic, partition) -> (first offset of the batch, next offset after it)
Positions = dict[tuple[str, int], tuple[int, int]]


class StaleBatch(Exception):
    """The stored offsets of some partitions do not continue where this batch starts."""


class OffsetStore:
    """Reads and writes one consumer group's offsets of `topics`."""

    def __init__(self, group: str, topics: list[str]) -> None:
        self.group, self.topics = group, topics
        # Gaps (stored offset < first offset read) already rewound once: a second time, the
        # messages in between are gone (retention), so the gap is accepted.
        self._rewound_gaps: set[tuple[str, int, int]] = set()

    def stored(self, conn: psycopg.Connection) -> dict[tuple[str, int], int]:
        """The next offset to read of each (topic, partition) the group has committed."""
        rows = conn.execute(load_sql("stream_offsets_select"), {"group": self.group, "topics": self.topics})
        return {(topic, partition): offset for topic, partition, offset in rows}

    def check(self, cur: psycopg.Cursor, positions: Positions) -> None:
        """Lock the stored offsets of the batch's partitions until the transaction ends; raise
        StaleBatch unless each continues where the batch starts."""
        keys = sorted(positions)
        rows = cur.execute(
            load_sql("stream_offsets_lock"),
            {"group": self.group, "topics": [t for t, _ in keys], "partitions": [p for _, p in keys]},
        ).fetchall()
        problems = []
        for topic, partition, stored in rows:
            first = positions[(topic, partition)][0]
            if stored > first:
                problems.append(f"{topic}[{partition}] stored {stored} > batch start {first}")
            elif stored < first and (topic, partition, stored) not in self._rewound_gaps:
                self._rewound_gaps.add((topic, partition, stored))
                problems.append(f"{topic}[{partition}] stored {stored} < batch start {first}")
            elif stored < first:
                log.warning("%s[%d]: offsets %d-%d are no longer in the topic (retention)",
                            topic, partition, stored, first - 1)  # fmt: skip
        if problems:
            raise StaleBatch("; ".join(problems))

    def clamp(self, conn: psycopg.Connection, ends: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Lower stored offsets that point past the end of their partition's log (`ends`: the
        next offset the broker will write): a broker killed before it saved its latest messages
        comes back without them and writes new ones at those offsets again. Left as they were,
        every batch there would be stale forever. Returns the lowered partitions' old offsets;
        the messages lost with the broker are published again by the stream task's retry
        (include/ingest_dag.py ProcessStream)."""
        keys = sorted(ends)
        lowered: dict[tuple[str, int], int] = {}
        if not keys:
            return lowered
        with conn.transaction(), conn.cursor() as cur:
            rows = cur.execute(
                load_sql("stream_offsets_lock"),
                {"group": self.group, "topics": [t for t, _ in keys], "partitions": [p for _, p in keys]},
            ).fetchall()
            lowered = {
                (topic, partition): stored
                for topic, partition, stored in rows
                if stored > ends[(topic, partition)]
            }
            if lowered:
                self.save(cur, {key: (ends[key], ends[key]) for key in lowered})
        for (topic, partition), stored in sorted(lowered.items()):
            log.warning("%s[%d]: stored offset %d is past the log's end %d (the broker lost messages); "
                        "resuming at %d", topic, partition, stored, ends[(topic, partition)],
                        ends[(topic, partition)])  # fmt: skip
        return lowered

    def save(self, cur: psycopg.Cursor, positions: Positions) -> None:
        """Store the batch's next offsets, in the caller's transaction."""
        keys = sorted(positions)
        cur.execute(
            load_sql("stream_offsets_upsert"),
            {
                "group": self.group,
                "topics": [t for t, _ in keys],
                "partitions": [p for _, p in keys],
                "next_offsets": [positions[k][1] for k in keys],
            },
        )
