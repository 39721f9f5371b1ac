"""The always-on stream consumer service: Kafka micro-batches -> compliance core -> PostgreSQL.

    python -m include.streaming.consumer

Exactly-once: each micro-batch's rows, violations, vault entries, quarantine rows, job
bookkeeping and the offsets it consumed are written in ONE PostgreSQL transaction, and the
consumer resumes from the offsets stored there, never from Kafka's committed offsets. The parts:

    consumer_config.py  Kafka client settings, logging
    batcher.py          adaptive micro-batches (MicroBatcher), a batch sorted by message kind
    decode.py           headers, JSON values, row messages -> an Arrow batch
    copy_encoding.py    processed rows -> COPY CSV (payload JSON built with Arrow kernels)
    offsets.py          the group's stored offsets (stream_offsets), the stale-batch check
    file_state.py       job bookkeeping (stream_file_state), quarantine rows, job completion
    transaction.py      one micro-batch, one transaction (BatchWriter)
    service.py          the consumer loop (StreamConsumer): assignment, rewind, dead letters
    members.py          one consumer, or several member processes under a supervisor
    warm_up.py          a first run of the core before the first batch
"""

from __future__ import annotations

import argparse
import sys

from compliance.anonymize.tokenize import Tokenizer, TokenKey, TokenKeyError
from compliance.vault import MasterKey, VaultKeyError
from include.settings import settings
from include.streaming.consumer_config import configure_logging
from include.streaming.members import run_consumer, run_members


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    configure_logging()
    try:
        tokenizer = Tokenizer(TokenKey.from_env())
        MasterKey.optional_from_env()  # an unusable SDP_VAULT_KEY stops the service at once
    except (TokenKeyError, VaultKeyError) as exc:
        print(f"stream-consumer: {exc}", file=sys.stderr)
        return 1
    count = settings().stream_consumer_processes
    return run_consumer(tokenizer) if count == 1 else run_members(count)


if __name__ == "__main__":
    sys.exit(main())
