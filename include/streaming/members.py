"""Running the consumer service: one StreamConsumer in this process, or several member
processes (SDP_STREAM_CONSUMER_PROCESSES) under a small supervisor."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import sys

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.vault import MasterKey
from include.settings import settings
from include.streaming.consumer_config import configure_logging, log
from include.streaming.service import StreamConsumer


def run_consumer(tokenizer: Tokenizer, member: int | None = None) -> int:
    """Run one consumer until SIGTERM / SIGINT; the process's exit status."""
    consumer = StreamConsumer(settings(), tokenizer, member, MasterKey.optional_from_env())
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    consumer.run()
    return 1 if consumer.failed else 0


def _member_process(member: int) -> None:
    """One member of a multi-process service (a spawned child: it reads the key itself)."""
    configure_logging()
    sys.exit(run_consumer(Tokenizer(TokenKey.from_env()), member))


def run_members(count: int) -> int:
    """Run `count` group members, one process each. SIGTERM / SIGINT stop them all (each finishes
    its batch); a member that exits by itself stops the others too, and the service exits 1 so
    that its supervisor (the stack manager, Docker) restarts it whole."""
    context = multiprocessing.get_context("spawn")
    members = [
        context.Process(target=_member_process, args=(member,), name=f"stream-consumer-{member}")
        for member in range(count)
    ]
    requested = False

    def stop(*_args: object) -> None:
        nonlocal requested
        requested = True
        for process in members:
            if process.is_alive():
                process.terminate()  # SIGTERM: the member finishes its batch and exits 0

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in members:
        process.start()
    multiprocessing.connection.wait([process.sentinel for process in members])
    if not requested:
        gone = [f"{p.name} (exit {p.exitcode})" for p in members if p.exitcode is not None]
        log.error("member %s stopped by itself; stopping the others", ", ".join(gone))
        stop()
        requested = False
    for process in members:
        process.join()
    return 0 if requested and all(process.exitcode == 0 for process in members) else 1
