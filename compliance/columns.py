"""What the core knows about one column of a file: shared by detection, rules and anonymizers.

Detection classifies each column once per file (header semantics + sampled values); the result is
reused for every batch of that file so the decision is the same for row 1 and row 10 million.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from compliance.vocabulary import IdType


class ColumnRole(StrEnum):
    IDENTIFIER = "identifier"  # holds one identifier type (ssn, email, card_number, ...)
    FREE_TEXT = "free_text"  # notes/memo/comments: searched for embedded identifiers
    QUASI_IDENTIFIER = (
        "quasi_identifier"  # age, zip, gender, ... (k-anonymity input); may also be an IDENTIFIER
    )
    CONSENT = "consent"  # GDPR consent flag (yes/no/true/false/granted/withdrawn/...)
    RECORD_DATE = "record_date"  # when the record was created (GDPR retention)
    # The header names a sensitive attribute but no single type ("contact", "national_id"): each
    # value is typed on its own, and one no detector recognises is anonymized all the same.
    SENSITIVE = "sensitive"
    # The header rules identifiers out ("version", "firmware"): kept as it is, never searched.
    NOT_IDENTIFIER = "not_identifier"
    OTHER = "other"  # anything else: searched for embedded identifiers like free text


@dataclass(frozen=True, slots=True)
class ColumnClass:
    field: str
    role: ColumnRole
    # The identifier type the column holds (role IDENTIFIER), else None.
    id_type: IdType | None = None
    # Quasi-identifier kind for generalisation hierarchies: "age", "zip", "date", "gender",
    # "city", "number", "category"; None when the column is not a quasi-identifier.
    quasi_kind: str | None = None
    # How the decision was made, for logs and the audit trail: "header", "values", "header+values".
    evidence: str = "header"

    def summary(self) -> dict[str, str | None]:
        """The decision as the scan summary and the engines' manifests report it."""
        return {
            "field": self.field,
            "role": str(self.role),
            "id_type": self.id_type and str(self.id_type),
            "quasi_kind": self.quasi_kind,
        }
