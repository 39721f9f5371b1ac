"""The fixed vocabulary of the platform (docs/architecture.md): identifier/policy types, regulations,
severities, and the violation record shared by every engine, the JSONL output and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class IdType(StrEnum):
    SSN = "SSN"
    CREDIT_CARD = "CREDIT_CARD"
    CARD_CVV = "CARD_CVV"
    IBAN = "IBAN"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"
    PERSON_NAME = "PERSON_NAME"
    STREET_ADDRESS = "STREET_ADDRESS"
    ZIP_CODE = "ZIP_CODE"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    MRN = "MRN"
    NPI = "NPI"
    HEALTH_PLAN_ID = "HEALTH_PLAN_ID"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    PASSPORT = "PASSPORT"
    VIN = "VIN"
    DEVICE_ID = "DEVICE_ID"
    GPS_COORDINATES = "GPS_COORDINATES"
    # A national identifier of a country other than the US SSN: UK NHS and NI numbers, Canadian SIN,
    # French NIR, Spanish DNI/NIE, Italian codice fiscale, Dutch BSN, German Steuer-ID, Aadhaar, CPF...
    NATIONAL_ID = "NATIONAL_ID"
    # A value in a column whose header or values name a sensitive attribute that no detector could
    # type: anonymized all the same (fail closed), and reported under this type.
    UNRECOGNISED_SENSITIVE = "UNRECOGNISED_SENSITIVE"
    # Policy types: raised by rules, not by detectors.
    MISSING_CONSENT = "MISSING_CONSENT"
    RETENTION_EXCEEDED = "RETENTION_EXCEEDED"


POLICY_TYPES = frozenset({IdType.MISSING_CONSENT, IdType.RETENTION_EXCEEDED})
IDENTIFIER_TYPES = frozenset(IdType) - POLICY_TYPES


class Regulation(StrEnum):
    HIPAA = "HIPAA"
    GDPR = "GDPR"
    PCI_DSS = "PCI-DSS"
    LOCATION = "LOCATION"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Domain(StrEnum):
    HEALTHCARE = "healthcare"
    FINANCIAL = "financial"
    LOCATION = "location"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Violation:
    """One violation per (row, field, type); `row` is the 0-based data row of the input file."""

    row: int
    field: str
    type: str
    regulation: str
    severity: str
    rule: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


VIOLATION_KEYS = ("row", "field", "type", "regulation", "severity", "rule")
