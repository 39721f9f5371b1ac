"""Person names."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import UNDECIDED, lengths, matches, native_check, to_mask
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import HL7_PID_HINT, Recognizer, TextPattern, hl7_pid_field
from compliance.vocabulary import IdType


class PersonNameRecognizer(Recognizer):
    id_type = IdType.PERSON_NAME
    # Qualified names ("patient_first_name", "cardholder_name", "pcp_name") or bare "name", and the
    # people a column can name by role ("cardholder", "referring_md", "requester"); not "product_name".
    header = (
        r"(?:[a-z0-9]+_)*(?:first|last|full|given|family|middle|maiden|sur|fore|display|legal|preferred|"
        r"patient|customer|client|person|member|subscriber|guarantor|contact|employee|cardholder|card_holder|"
        r"account_holder|holder|beneficiary|insured|applicant|owner|emergency_contact|parent|guardian|"
        r"spouse|mother|father|physician|doctor|provider|nurse|student|passenger|recipient|sender|"
        r"payee|payer|pcp|referring|attending|ordering|rendering|treating|prescriber|prescribing|surgeon|"
        r"therapist|caregiver|kin|next_of_kin|relative|requester|requestor|assignee|reporter|author|agent|"
        r"rep|representative|manager|supervisor|signer|witness|driver|tenant|guest|visitor|candidate|"
        r"traveler|traveller|buyer|seller|shipper|consignee|dependent|dependant|pt|enrollee|claimant|"
        r"policyholder|policy_holder|borrower|cosigner|co_signer|debtor|landlord|renter|lessee|donor|"
        r"decedent|child|infant|son|daughter|sibling|emergency|ec|nok|resident)_?names?|"
        r"names?|surname|forename|given_names?|"
        # A name part of the people a record names by role: "Subscriber Last", "patient_first", "Pt Middle".
        r"(?:[a-z0-9]+_)*(?:patient|pt|subscriber|dependent|dependant|member|insured|guarantor|policyholder|"
        r"beneficiary|cardholder|holder|account_holder|customer|client|employee|applicant|guardian|parent|"
        r"spouse|contact|emergency_contact|caregiver|enrollee|claimant|student|tenant|borrower|owner|"
        r"physician|provider|doctor|referring|attending|rendering|ordering|signer|witness)_"
        r"(?:first|last|middle|given|family|maiden|sur|fore|full|legal|preferred)|"
        r"patient|customer|cardholder|card_holder|account_holder|requester|requestor|assignee|"
        # Bare name parts and the people a record names by relation ("First", "Guardian", "Spouse").
        r"first|last|middle|given|family|maiden|guardian|parent|spouse|mother|father|"
        r"caregiver|kin|relative|beneficiary|subscriber|guarantor|insured|policyholder|policy_holder|holder|"
        r"(?:[a-z0-9]+_)*(?:pcp|referring|attending|ordering|rendering|treating|primary_care)_"
        r"(?:md|dr|doctor|physician|provider|clinician)|physician|doctor|attending|next_of_kin"
    )
    # A label ("Patient:", "Name:", and JSON keys: "name": "...", "firstName": "...") or a title.
    _LABEL = r"(?i:\b(?:patient|patient name|name|pt|(?:first|last|full|given|family|middle)_?name))\"?\s*:"
    _WORD = r"(?:[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[A-Za-zÀ-ÖØ-öø-ÿ'’-]*|[A-ZÀ-ÖØ-Þ]{2,}\b)"
    text_pattern = (
        rf"(?:{_LABEL}|\b(?:Mr|Mrs|Ms|Miss|Mx)\.?|\b(?:Dr|Prof)\.)"
        r"\s*\"?(?P<v>(?:(?:van|von|de|der|den|het|'t|te|op|die|di|da|del|della|du|le|la|ter|ten|zu|zur|al|el|"
        r"bin|ben|dos|das|do) ){0,2}"
        r"(?:[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[A-Za-zÀ-ÖØ-öø-ÿ'’-]*|[A-ZÀ-ÖØ-Þ]{2,}\b)"
        r"(?: (?:[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[A-Za-zÀ-ÖØ-öø-ÿ'’-]*|[A-ZÀ-ÖØ-Þ]{2,}\b)){0,2})"
    )
    _LABEL_WORDS = ("patient", "name", "pt", "first", "last", "full", "given", "family", "middle")
    text_hint = TextHint(keywords=_LABEL_WORDS, exact=("Mr", "Ms", "Miss", "Mx", "Dr.", "Prof."))
    # Notes typed in lower case ("referred by dr. evans", "name: geoffrey williams"): a title with
    # its full stop, or a name label, then one or two words, the first not a common word.
    context_patterns = (
        # Surname first after a label, as records list people: "Pt Name: PERRY, JUAN", "Patient: Kim, Jeffrey A."
        TextPattern(
            rf"{_LABEL}\s*\"?(?P<v>{_WORD},\s?{_WORD}(?: [A-Z]\.?\b| [A-Z][a-z][A-Za-z'’-]*)?)",
            TextHint(keywords=_LABEL_WORDS),
        ),
        # HL7 PID-5: FAMILY^GIVEN^MIDDLE...; the position is the evidence.
        TextPattern(
            hl7_pid_field(
                5,
                r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]*\^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]*(?:\^[A-Za-zÀ-ÖØ-öø-ÿ' .-]*)*",
            ),
            HL7_PID_HINT,
        ),
        TextPattern(
            r"(?:(?i:\b(?:patient|patient name|name|pt))\s*:|\b(?:mr|mrs|ms|miss|mx|dr|prof)\.)\s*"
            r"(?P<v>[a-zß-öø-ÿ][a-zß-öø-ÿ'-]+(?: [a-zß-öø-ÿ][a-zß-öø-ÿ'-]+)?)",
            TextHint(keywords=("patient", "name", "pt", "mr", "mrs", "ms", "miss", "mx", "dr", "prof")),
            "validate_lower_case",
        ),
    )
    _COMMON_WORDS = (
        "a", "an", "the", "to", "for", "at", "in", "on", "of", "with", "and", "or", "is", "was", "will",
        "has", "had", "not", "no", "none", "n", "na", "unknown", "see", "per", "re", "about", "office",
        "on-call", "oncall", "pending", "tbd", "same", "self",
    )  # fmt: skip
    _COMMON_WORD_VALUES: ClassVar[pa.Array] = pa.array(_COMMON_WORDS)

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("name", values)  # ASCII names decided in C, UNDECIDED for the others
        if found is None:
            return self._validate_unicode(values)
        valid = found == 1
        undecided = np.flatnonzero(found == UNDECIDED)
        if undecided.size:
            valid[undecided] = self._validate_unicode(values.take(pa.array(undecided)))
        return valid

    @staticmethod
    def _validate_unicode(values: pa.Array) -> np.ndarray:
        # A name may start with an apostrophe ("'s Gravensande, Jennifer").
        return matches(values, r"^['’]?\pL[\pL\pM'’. ,-]*$") & (lengths(values) >= 2)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # The context word is the evidence; a capitalised word after "Patient:" is a name.
        return np.ones(len(found), dtype=bool)

    def validate_lower_case(self, found: pa.StructArray) -> np.ndarray:
        first = pc.utf8_split_whitespace(found.field("v"), max_splits=1)
        first_word = pc.list_element(first, 0)
        return ~to_mask(pc.is_in(first_word, value_set=self._COMMON_WORD_VALUES))
