"""One micro-batch, one PostgreSQL transaction: the exactly-once write of the stream route.

Each micro-batch's rows, violations, vault entries (with SDP_VAULT_KEY: the encrypted originals of
reversible tokens, under a data key per job), quarantine rows, job bookkeeping (file_state.py)
and the offsets it consumed (offsets.py) are written in ONE transaction. So a row can only arrive
twice when its job was published twice (a retried DAG task): the consumer sees that job's
file-start twice on one partition, and only such a job's rows go through `ON CONFLICT DO
NOTHING` (copy_encoding.py); every other batch is COPY'd straight into the results tables.

A malformed message is dead-lettered through the `dead_letter` callback, which must return once
the broker has it: that happens before the commit, so a crash in between can dead-letter a message
twice but never loses it; its quarantine row is written once.
"""

from __future__ import annotations

import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable

import psycopg
from confluent_kafka import Message

from compliance.anonymize.tokenize import Tokenizer
from compliance.pipeline import CompliancePipeline
from compliance.vault import MasterKey, VaultEncryptor
from include.db.vault import store_vault_entries
from include.streaming import file_state
from include.streaming.consumer_config import log
from include.streaming.copy_encoding import write_result
from include.streaming.decode import decode_rows, key_row
from include.streaming.model import BatchStats, FileState, JobWork, Rejected, SortedBatch
from include.streaming.offsets import OffsetStore

_PIPELINES_CACHED = 64  # jobs whose prepared pipeline is kept between batches


class BatchWriter:
    """Runs the compliance core on micro-batches and commits each with its offsets."""

    def __init__(
        self,
        offsets: OffsetStore,
        tokenizer: Tokenizer | None,
        vault_key: MasterKey | None,
        dead_letter: Callable[[list[Rejected]], None],
    ) -> None:
        self.offsets = offsets
        self.tokenizer = tokenizer
        self.vault_key = vault_key  # without one, no vault entries are written
        self.dead_letter = dead_letter
        self._pipelines: OrderedDict[int, CompliancePipeline] = OrderedDict()

    def write(
        self, conn: psycopg.Connection, batch: SortedBatch, stats: BatchStats, rejected: list[Rejected]
    ) -> None:
        """Process and commit one sorted micro-batch whose offsets `stats` holds, in one
        transaction, or raise with nothing committed (StaleBatch: the stored offsets do not
        continue where the batch starts). `rejected` (the messages sort_messages rejected) gets
        every other rejected message; all of them are dead-lettered and quarantined."""
        work: dict[int, JobWork] = defaultdict(JobWork)
        file_ids = batch.file_ids()
        with conn.transaction(), conn.cursor() as cur:
            self.offsets.check(cur, stats.offsets)
            file_state.lock_files(cur, file_ids)
            stats.ignored += file_state.apply_starts(cur, batch.starts, rejected)
            latest = file_state.latest_states(cur, file_ids)
            stats.ignored += file_state.apply_ends(cur, batch.ends, latest, rejected)
            for (file_id, job_id), job_messages in batch.rows.items():
                state, reason = file_state.owner(latest, file_id, job_id, "row")
                if state is not None:
                    rejected += self._process_rows(cur, state, job_messages, work[state.job_id])
                elif reason:
                    rejected += [Rejected(m, reason) for m in job_messages]
                else:
                    stats.ignored += len(job_messages)
            entries = file_state.quarantine_entries(batch.quarantined, latest, rejected, stats)
            self.dead_letter(rejected)
            for job_id, _row in file_state.insert_quarantine(cur, entries):
                if job_id is not None:
                    work[job_id].rows_quarantined += 1
                stats.quarantined += 1
            file_state.audit_rejected(cur, rejected)
            file_state.add_work(cur, work, stats)
            for state in sorted(latest.values(), key=lambda state: state.job_id):
                if file_state.complete_if_done(cur, state.job_id, self.offsets.group):
                    stats.jobs_completed.append(state.job_id)
            self.offsets.save(cur, stats.offsets)
        stats.dead_lettered = len(rejected)

    def _pipeline(self, state: FileState) -> CompliancePipeline:
        pipeline = self._pipelines.get(state.job_id)
        if pipeline is None:
            tokenizer = self.tokenizer if state.anonymize != "none" else None
            # A data key per job (and per cached pipeline): stored with the job's first entries.
            vault = VaultEncryptor.new(self.vault_key) if tokenizer and self.vault_key else None
            pipeline = CompliancePipeline(
                domain=state.domain, anonymize=state.anonymize, tokenizer=tokenizer, vault=vault
            )
            pipeline.prepare_from(state.columns, state.domain)
            self._pipelines[state.job_id] = pipeline
            while len(self._pipelines) > _PIPELINES_CACHED:
                self._pipelines.popitem(last=False)
        self._pipelines.move_to_end(state.job_id)
        return pipeline

    def _process_rows(
        self, cur: psycopg.Cursor, state: FileState, messages: list[Message], work: JobWork
    ) -> list[Rejected]:
        clock = time.perf_counter()
        batch, rows, rejected = decode_rows(messages, state)
        now = time.perf_counter()
        work.pre_processing_s += now - clock
        if not batch.num_rows:
            return rejected
        bad = {id(r.message) for r in rejected}
        good = [m for m in messages if id(m) not in bad]
        pipeline = self._pipeline(state)
        try:
            result = pipeline.process(batch, rows)
        except Exception as exc:  # a bug must not stop the stream: these rows go to quarantine
            log.error(
                "file_id=%d job_id=%d: compliance core failed on %d rows (%s)",
                state.file_id,
                state.job_id,
                len(rows),
                type(exc).__name__,
            )
            reason = f"compliance core failed on this batch ({type(exc).__name__})"
            return rejected + [Rejected(m, reason, state, key_row(m, state.file_id)) for m in good]
        clock, now = now, time.perf_counter()
        work.pure_processing_s += now - clock
        loaded, violations = write_result(cur, state, result)
        if result.vault.num_rows:
            store_vault_entries(cur, [result.vault], pipeline.vault.wrapped_key, state.file_id)
        work.rows_loaded += loaded
        work.violations += violations
        work.post_processing_s += time.perf_counter() - now
        return rejected
