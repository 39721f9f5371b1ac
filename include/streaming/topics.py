"""Topic names, the message protocol of the stream route, and explicit topic creation.

Messages on `sdp.raw.<domain>` (every message carries the headers `sdp-kind`, `file_id`,
`job_id`, `domain`):

    kind         key                 value (JSON object)
    file-start   "<file_id>:start"   {"columns": [ColumnClass...], "domain", "anonymize"}
    row          "<file_id>:<row>"   the row's non-null values as strings + "_row"
    quarantined  "<file_id>:<row>"   {"_row", "reason"}: a row the reader could not parse
    file-end     "<file_id>:end"     {"rows_total"}: data rows of the file (rows + quarantined)

file-start and file-end go to every partition (explicitly), file-start before any row, so each
partition's consumer knows the file's classification before its first row. Raw rows are personal
data: the raw and dead-letter topics keep them only SDP_KAFKA_RAW_RETENTION_MS.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

from compliance.columns import ColumnClass, ColumnRole
from compliance.vocabulary import Domain, IdType
from include.settings import Settings, settings

RAW_TOPIC_PREFIX = "sdp.raw."
DEAD_LETTER_TOPIC = "sdp.deadletter"

HEADER_KIND = "sdp-kind"
HEADER_FILE_ID = "file_id"
HEADER_JOB_ID = "job_id"
HEADER_DOMAIN = "domain"
# Added to dead-lettered messages (no raw values: reason, source position).
HEADER_DLQ_REASON = "sdp-dlq-reason"
HEADER_DLQ_SOURCE = "sdp-dlq-source"

KIND_FILE_START = "file-start"
KIND_ROW = "row"
KIND_QUARANTINED = "quarantined"
KIND_FILE_END = "file-end"
KINDS = (KIND_FILE_START, KIND_ROW, KIND_QUARANTINED, KIND_FILE_END)

_ADMIN_TIMEOUT_S = 15.0

log = logging.getLogger("sdp.streaming")


def column_json(column: ColumnClass) -> dict[str, str | None]:
    """A column classification as carried by file-start messages."""
    return {key: (None if value is None else str(value)) for key, value in asdict(column).items()}


def column_class(data: dict) -> ColumnClass:
    """The inverse of column_json; KeyError / ValueError / TypeError when `data` is not one."""
    return ColumnClass(
        field=str(data["field"]),
        role=ColumnRole(data["role"]),
        id_type=IdType(data["id_type"]) if data.get("id_type") else None,
        quasi_kind=data.get("quasi_kind"),
        evidence=data.get("evidence") or "header",
    )


def raw_topic(domain: str) -> str:
    """The raw-rows topic of a data domain (one topic per domain)."""
    return RAW_TOPIC_PREFIX + Domain(domain).value


def raw_topics() -> list[str]:
    return [raw_topic(domain) for domain in Domain]


def ensure_topics(bootstrap: str, s: Settings | None = None) -> list[str]:
    """Create the raw topics and the dead-letter topic when missing, with the short retention
    raw personal data must have; existing topics get that retention set again (idempotent).
    Returns the topics created by this call."""
    s = s or settings()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wanted = [*raw_topics(), DEAD_LETTER_TOPIC]
    retention = {"retention.ms": str(s.kafka_raw_retention_ms)}
    existing = set(admin.list_topics(timeout=_ADMIN_TIMEOUT_S).topics)
    missing = [
        NewTopic(topic, num_partitions=s.kafka_raw_partitions, replication_factor=-1, config=retention)
        for topic in wanted
        if topic not in existing
    ]
    created = []
    for topic, future in (admin.create_topics(missing) if missing else {}).items():
        try:
            future.result(timeout=_ADMIN_TIMEOUT_S)
            created.append(topic)
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].TOPIC_ALREADY_EXISTS:  # a concurrent creator won
                raise
    present = [topic for topic in wanted if topic in existing]
    if present:
        resources = [
            ConfigResource(
                ConfigResource.Type.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry(
                        "retention.ms",
                        str(s.kafka_raw_retention_ms),
                        incremental_operation=AlterConfigOpType.SET,
                    )
                ],
            )
            for topic in present
        ]
        for future in admin.incremental_alter_configs(resources).values():
            future.result(timeout=_ADMIN_TIMEOUT_S)
    if created:
        log.info("created topics %s (retention.ms=%d)", ", ".join(created), s.kafka_raw_retention_ms)
    return created
