"""What a stack holds at rest, for the end-to-end leak check: raw identifiers of the sample files,
the stack's secrets, every message header on the broker and every database table as text."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

import psycopg

from compliance.detection.blanks import BLANK
from include.settings import Settings

# Identifier columns of the generator's files; values that are already tokens are skipped.
IDENTIFIER_COLUMNS = ("ssn", "email", "phone", "mrn", "card_number", "iban", "account_number", "user_email",
                      "ip_address", "device_id")  # fmt: skip
TOKEN = re.compile(r"[A-Z][A-Z_]*_k\d+_")
# Generous for reading back a test stack's topics; nothing asserts on durations.
BROKER_READ_TIMEOUT_SECONDS = 120


def raw_identifiers(paths: Iterable[Path]) -> set[str]:
    """Identifier values of the generator's files (csv, jsonl, parquet) as they were written."""
    import pyarrow.compute as pc
    from pyarrow import csv, parquet
    from pyarrow import json as pa_json

    read = {".csv": lambda p: csv.read_csv(p, convert_options=csv.ConvertOptions(strings_can_be_null=True)),
            ".jsonl": pa_json.read_json, ".parquet": parquet.read_table}  # fmt: skip
    values: set[str] = set()
    for path in paths:
        table = read[path.suffix](path)
        for column in set(IDENTIFIER_COLUMNS) & set(table.column_names):
            for value in pc.cast(table[column], "string").to_pylist():
                # Masks ("***-**-6789") and tokens are what anonymized data looks like, not identifiers.
                masked = value and ("*" in value or TOKEN.match(value) or re.fullmatch(BLANK, value))
                if value and len(value) >= 8 and not masked:
                    values.add(value)
    return values


def secrets(settings: Settings, known: set[str]) -> set[str]:
    """`known` secrets and every one-line secret of the stack's secrets folder."""
    found = set(known)
    for path in settings.secrets_dir.iterdir():
        value = path.read_text(errors="replace").strip()
        if len(value) >= 12 and "\n" not in value:
            found.add(value)
    return found


def kafka_headers(settings: Settings) -> list[bytes]:
    """Every message header on the broker: each partition read from its start up to the end offset
    it had when the read began (nothing is produced meanwhile)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": f"leak-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True})  # fmt: skip
    try:
        ends: dict[tuple[str, int], int] = {}
        for topic, metadata in consumer.list_topics(timeout=10).topics.items():
            if topic.startswith("__"):
                continue
            for partition in metadata.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                if high > low:
                    ends[(topic, partition)] = high
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for topic, partition in ends])
        headers: list[bytes] = []
        deadline = time.monotonic() + BROKER_READ_TIMEOUT_SECONDS
        while ends and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            where = (message.topic(), message.partition())
            if message.error():
                # The end of a partition (also one whose messages were deleted since).
                if message.error().code() == KafkaError._PARTITION_EOF:
                    ends.pop(where, None)
                continue
            for key, value in message.headers() or []:
                headers.append(key.encode() + b"=" + (value or b""))
            if message.offset() + 1 >= ends.get(where, 0):
                ends.pop(where, None)
        if ends:
            raise AssertionError(
                f"not read to their end after {BROKER_READ_TIMEOUT_SECONDS} s: {sorted(ends)}"
            )
        return headers
    finally:
        consumer.close()


def database_text(url: str, name: str) -> dict[str, bytes]:
    """Every table of the database as COPY text, by "database table"."""
    chunks: dict[str, bytes] = {}
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
                                             "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND "
                                             "table_schema NOT IN ('pg_catalog', 'information_schema')")]  # fmt: skip
        for table in tables:
            # bytea in COPY text is hex, where a digits-only needle can match random ciphertext by
            # chance (seen once in CI): escape form keeps plaintext bytes readable, ciphertext not.
            # Likewise the records' token keys (random 60-bit integers, in decimal a digits-only
            # needle matched one in CI): shown as the digest prefixes they were read from.
            columns = ", ".join(
                _readable(name, kind, conn)
                for name, kind in conn.execute(
                    "SELECT quote_ident(attname), format_type(atttypid, NULL) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (table,),
                )
            )
            with conn.cursor().copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as copy:
                chunks[f"{name} {table}"] = b"".join(bytes(block) for block in copy)
    return chunks


def _readable(column: str, kind: str, conn: psycopg.Connection) -> str:
    """The select expression showing `column` as text where chance matches cannot hide in it."""
    if kind == "bytea":
        return f"encode({column}, 'escape')"
    if kind == "bigint[]" and conn.execute("SELECT to_regproc('sdp_key_digest_prefix')").fetchone()[0]:
        return f"ARRAY(SELECT sdp_key_digest_prefix(k) FROM unnest({column}) AS k)"
    return column


def leaks(places: dict[str, bytes], needles: set[str]) -> dict[str, int]:
    """{place: how many needles it holds} for each place holding any."""
    encoded = [n.encode() for n in needles]
    return {place: hits for place, data in places.items() if (hits := sum(n in data for n in encoded))}
