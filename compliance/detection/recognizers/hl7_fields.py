"""HL7 v2 fields that hold a person's identifiers, by segment and position, beyond the PID fields the
recognizers list themselves: next of kin (NK1), guarantor (GT1), insured (IN1, IN2), merged
patient (MRG), primary care provider (PD1), and the repetitions of PID fields.

The position is the evidence, and it fails closed: whatever fills a name, address, phone, birth
date or id field is that identifier in any script or shape ("Кузнецова^Галина", "г. Кудымкар",
"0 (544) 166 38 92"), unless blank, an HL7 null or already a token (Recognizer.validate_record_field).
Codes (NK1-3 "CHD^Child"), set ids, control ids and the assigning authority and type code of an id
("^^^TR^NI") stay. Segments end with "\\r", "\\n" or both, fields are split by "|", repetitions by "~"
and components by "^". Each tuple is spliced into the context patterns of its type (segments.py).
"""

from __future__ import annotations

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import HL7_PV1_DOCTORS, TextPattern, hl7_field

# A whole field, its repetitions included (one token replaces it, as PID-11 and PID-13 are).
_FIELD = r"[^|\r\n]+"
# The first component of the field's first repetition: an id ("8432280" of "8432280^^^HOSP^MR").
_ID = r"[^|^~\r\n]+"
# A date of HL7's DT/DTM type: the birth date of "19910308" or "199103081200".
_DATE = r"\d{4}(?:\d{2}){0,2}"
# The name of an XCN field (a provider: ID^FAMILY^GIVEN...), after its id: any script, from a
# family name ("1234567893^^^^^^^^NPI" is an id alone).
_XCN_NAME = r"[^|^~\r\n][^|~\r\n]*"
_CHECK = "validate_record_field"


def _hint(segment: str) -> TextHint:
    return TextHint(exact=(segment,))


def _fields(
    segment: str, positions: tuple[int, ...], value: str, *, after_id: bool = False
) -> tuple[TextPattern, ...]:
    return tuple(
        TextPattern(hl7_field(segment, position, value, after_id=after_id), _hint(segment), _CHECK)
        for position in positions
    )


# PID-3 (patient identifier list, CX: ID^CHECK^SCHEME^AUTHORITY^TYPE^...): repetition k (0-based)
# whose identifier type code (component 5) is one of `codes`. The code follows the id, so these
# spans are found in Python: only rows holding such a repetition get there.
def _pid3(codes: str, repetitions: range = range(4)) -> tuple[TextPattern, ...]:
    return tuple(
        TextPattern(
            rf"\bPID\|(?:[^|\r\n]*\|){{2}}(?:[^|~\r\n]*~){{{k}}}(?P<v>{_ID})\^(?:[^|^~\r\n]*\^){{3}}"
            rf"(?:{codes})(?:[\^~|\r\n]|$)",
            _hint("PID"),
            _CHECK,
        )
        for k in repetitions
    )


# Any further repetition of PID-3 (after the first, which health.py reads) is the patient's: an MRN
# unless its type code says another type (those patterns' types come first in the registry, or
# their value is typed MRN, still anonymized). Its value ends the match: found by RE2.
_PID3_MORE = tuple(
    TextPattern(rf"\bPID\|(?:[^|\r\n]*\|){{2}}(?:[^|~\r\n]*~){{{k}}}(?P<v>{_ID})", _hint("PID"), _CHECK)
    for k in (1, 2, 3)
)

HL7_NAME = (
    # PID-5 name, 6 mother's maiden name, 9 alias; NK1-2 next of kin, 30 contact person; GT1-3
    # guarantor, 4 spouse; IN1-16 insured; MRG-7 the merged patient's prior name.
    *_fields("PID", (5, 6, 9), _FIELD),
    *_fields("NK1", (2, 30), _FIELD),
    *_fields("GT1", (3, 4), _FIELD),
    *_fields("IN1", (16,), _FIELD),
    *_fields("MRG", (7,), _FIELD),
    # Providers' names are anonymized as PV1's are (people.py), in any script: PV1 doctors, PD1-4.
    *_fields("PV1", HL7_PV1_DOCTORS, _XCN_NAME, after_id=True),
    *_fields("PD1", (4,), _XCN_NAME, after_id=True),
)
HL7_STREET = (
    # PID-11 address (all repetitions), 23 birth place; NK1-4, 32; GT1-5; IN1-19 insured's address.
    *_fields("PID", (11, 23), _FIELD),
    *_fields("NK1", (4, 32), _FIELD),
    *_fields("GT1", (5,), _FIELD),
    *_fields("IN1", (19,), _FIELD),
)
HL7_PHONE = (
    # PID-13 home, 14 business; NK1-5, 6, 31; GT1-6, 7.
    *_fields("PID", (13, 14), _FIELD),
    *_fields("NK1", (5, 6, 31), _FIELD),
    *_fields("GT1", (6, 7), _FIELD),
)
HL7_DOB = (
    *_fields("PID", (7,), _DATE),
    *_fields("NK1", (16,), _DATE),
    *_fields("GT1", (8,), _DATE),
    *_fields("IN1", (18,), _DATE),
)
HL7_SSN = (
    *_fields("PID", (19,), _ID),
    *_fields("NK1", (37,), _ID),
    *_fields("GT1", (12,), _ID),
    *_fields("IN2", (2,), _ID),
    *_pid3("SS"),
)
HL7_NATIONAL_ID = _pid3(r"NI|NN[A-Z]{0,3}|CZ|TAX|BCT")
HL7_PASSPORT = _pid3("PPN")
HL7_DRIVER_LICENSE = (*_fields("PID", (20,), _ID), *_pid3("DL"))
HL7_HEALTH_PLAN_ID = (
    # IN1-36 policy number, 49 insured's id; IN2-6 Medicare, 8 Medicaid number.
    *_fields("IN1", (36, 49), _ID),
    *_fields("IN2", (6, 8), _ID),
    *_pid3("NH|JHN|MC|MA|MCD|MCR|MB|SN|HC"),
)
HL7_MRN = (
    # PID-3's first id whatever its shape (health.py reads the usual ones), PID-2 external id, 4 alternate id, 18 account number, 21 mother's id; GT1-2 guarantor number;
    # MRG-1 prior patient id, 3 prior account number.
    *_fields("PID", (2, 3, 4, 18, 21), _ID),
    *_fields("GT1", (2,), _ID),
    *_fields("MRG", (1, 3), _ID),
    *_PID3_MORE,
)
