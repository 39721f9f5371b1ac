"""Person names."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import UNDECIDED, containing, lengths, matches, native_check, to_mask
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import (
    HL7_PID_HINT,
    HL7_PV1_DOCTORS,
    HL7_PV1_HINT,
    Recognizer,
    TextPattern,
    context_group,
    hl7_field,
    hl7_pid_field,
    hl7_token_free,
)
from compliance.detection.recognizers.name_context import (
    ADDRESS_AFTER,
    ANY_NAME_WORD,
    CJK_NAME,
    COUNTERPARTY_LEADS,
    HL7_XCN_NAME,
    NAME_CONTEXT_PATTERNS,
    NAME_LABEL,
    NAME_WORD,
    OTHER_TITLES,
    PARTICLES,
    PAYMENT_CONTEXT,
    PERSON_CONTEXT,
    PERSON_CONTEXT_STARTS,
    PERSON_CONTEXT_WORDS,
    RELATION_AFTER,
    ROLE_CONTEXT,
    SELF_INTRO,
    SELF_INTRO_WORDS,
    TITLED_WORD,
    WEAK_PERSON_CONTEXT,
)
from compliance.detection.recognizers.name_folding import (
    GIVEN,
    GIVEN_FOLDED,
    GIVEN_FOLDED_UNAMBIGUOUS,
    folded_title,
    hint_words,
    shortest_prefixes,
)
from compliance.detection.recognizers.name_headers import (
    PERSON_NAME_HEADER,
    PERSON_ROLE_HEADER,
    named_by_tokens,
)
from compliance.detection.recognizers.name_scripts import (
    SCRIPT_NAME_PATTERNS,
    ScriptNameChecks,
    native_name_header,
    script_names,
)
from compliance.detection.recognizers.name_values import (
    AIRLINE_NAME,
    address_spells,
    given_and_surname,
    name_by_form,
    person_by_role,
    placeholder_or_organisation,
)
from compliance.detection.recognizers.name_words import (
    AMBIGUOUS_GIVEN,
    COMMON_WORDS,
    COUNTERPARTY_FIRM_WORDS,
    MEMO_WORDS,
    NOT_SURNAME,
    PAYMENT_WORDS,
    RELATION_WORDS,
    ROLE_NOUNS,
    ROLE_WORDS,
    SURNAME_TOO,
    XPN_NAME,
)
from compliance.detection.recognizers.segments import PNR_NAME, RECORD_NAME, X12_NAME
from compliance.vocabulary import IdType


class PersonNameRecognizer(ScriptNameChecks, Recognizer):
    id_type = IdType.PERSON_NAME
    # A column of HL7 XPN names ("CRUZ^BENJAMIN^Q") is typed by its values whatever its header.
    by_values = True
    header = PERSON_NAME_HEADER  # name_headers.py, with the token rule of names()
    header_with_values = PERSON_ROLE_HEADER  # "Manager", "PCP": a name column when its values are names
    _OTHER_TITLES, _LABEL = OTHER_TITLES, NAME_LABEL  # name_context.py
    _WORD = r"(?:[A-ZÀ-ÖØ-ÞĀ-ž](?:[a-zß-öø-ÿĀ-ž]|['’][A-ZÀ-ÖØ-ÞĀ-ž])[A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’-]*|[A-ZÀ-ÖØ-ÞĀ-ž]{2,}\b)"
    text_pattern = (
        rf"(?:{_LABEL}|\b(?:Mr|Mrs|Ms|Miss|Mx)\.?|\b(?:Dr|Prof)\.|{_OTHER_TITLES})"
        # A title after a label is not part of the name: "Name: Dr. Priya Raman", {"name":"Mr Lee"}.
        # Initials before the surname belong to the name: "Dr. A. Patel", "Dr. J. R. Ewing".
        r"\s*\"?(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+)?(?P<v>(?:[A-Z]\.\s?){0,2}(?:(?:van|von|de|der|den|het|'t|te|op|die|di|da|del|della|du|le|la|ter|ten|zu|zur|al|el|"
        r"bin|ben|dos|das|do) ){0,2}"
        r"(?:[A-ZÀ-ÖØ-ÞĀ-ž](?:[a-zß-öø-ÿĀ-ž]|['’][A-ZÀ-ÖØ-ÞĀ-ž])[A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’-]*|[A-ZÀ-ÖØ-ÞĀ-ž]{2,}\b)"
        r"(?: (?:[A-ZÀ-ÖØ-ÞĀ-ž](?:[a-zß-öø-ÿĀ-ž]|['’][A-ZÀ-ÖØ-ÞĀ-ž])[A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’-]*|[A-ZÀ-ÖØ-ÞĀ-ž]{2,}\b)){0,2})"
    )
    _LABEL_WORDS = ("patient", "name", "pt", "first", "last", "full", "given", "family", "middle", "preferred",
                    "legal", "maiden", "birth", "nick")  # fmt: skip
    text_hint = TextHint(
        keywords=_LABEL_WORDS,
        exact=(
            "Mr", "Ms", "Miss", "Mx", "Dr.", "Prof.", "Mme", "Mlle", "M.", "Herr", "Frau", "Sra", "Srta", "Sr.",
            "Sig.", "Dott.", "Dhr", "Mevr",
        ),
    )  # fmt: skip
    # Notes typed in lower case ("referred by dr. evans", "name: geoffrey williams"): a title with
    # its full stop, or a name label, then one or two words, the first not a common word.
    context_patterns = (
        *X12_NAME,
        *PNR_NAME,
        *RECORD_NAME,
        # Surname first after a label, as records list people: "Pt Name: PERRY, JUAN", "Patient: Kim, Jeffrey A."
        TextPattern(
            rf"{_LABEL}\s*\"?(?P<v>(?:{PARTICLES} ){{0,2}}{_WORD},\s?{_WORD}(?: [A-Z]\.?\b| [A-Z][a-z][A-Za-z'’-]*)?)",
            TextHint(keywords=_LABEL_WORDS),
        ),
        # "Dr" without its full stop is also a street ("12 Oak Dr Boston"): a name only after the words
        # that bring a doctor into a note ("PCP Dr Lee", "seen by Dr A Patel", "paged Dr Smith").
        TextPattern(
            r"(?i:\b(?:by|per|with|to|from|pcp|cc|attending|called|paged|notified|informed|saw|consulted))\s+"
            rf"Dr\s+(?P<v>(?:[A-Z]\.?\s){{0,2}}{_WORD}(?: {_WORD})?)",
            TextHint(exact=("Dr",)),
        ),
        # Said in a call or a chat: "my name is Oluwaseun Adeyemi", "my name's Siobhan Kelly".
        TextPattern(
            rf"(?i:\bmy name(?:'s| is))\s+(?P<v>{_WORD}(?: {_WORD}){{0,2}})",
            TextHint(keywords=("my name",)),
        ),
        # HL7 PID-5: FAMILY^GIVEN^MIDDLE...; the position is the evidence.
        TextPattern(
            hl7_pid_field(
                5,
                r"[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž' .-]*\^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž' .-]*(?:\^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž' .-]*)*",
            ),
            HL7_PID_HINT,
        ),
        TextPattern(
            r"(?:(?i:\b(?:patient|patient name|name|pt))\s*:|\b(?:mr|mrs|ms|miss|mx|dr|prof)\.)\s*"
            r"(?P<v>[a-zß-öø-ÿĀ-ž][a-zß-öø-ÿĀ-ž'-]+(?: [a-zß-öø-ÿĀ-ž][a-zß-öø-ÿĀ-ž'-]+)?)",
            TextHint(keywords=("patient", "name", "pt", "mr", "mrs", "ms", "miss", "mx", "dr", "prof")),
            "validate_lower_case",
        ),
        # Any two capitalised words after words that announce a person (no given-name list needed).
        TextPattern(
            rf"{PERSON_CONTEXT}[,:]?\s+(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?:{PARTICLES} ){{0,2}}"
            rf"(?P<last>{ANY_NAME_WORD}))",
            TextHint(keywords=PERSON_CONTEXT_STARTS, whole_words=PERSON_CONTEXT_WORDS),
            "validate_context_pair",
        ),
        TextPattern(
            rf"{SELF_INTRO}\s+(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?:{PARTICLES} ){{0,3}}"
            rf"(?P<last>{ANY_NAME_WORD}))(?P<third> {ANY_NAME_WORD})?",
            TextHint(whole_words=SELF_INTRO_WORDS),
            "validate_self_intro",
        ),
        TextPattern(
            rf"{WEAK_PERSON_CONTEXT}[,:]?\s+(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? "
            rf"(?P<last>{ANY_NAME_WORD}))(?P<third> {ANY_NAME_WORD})?",
            TextHint(whole_words=("patient", "pt", "it", "its", "this", "i", "im", "here")),
            "validate_weak_context_pair",
        ),
        # ... or before a relation in brackets ("Imani Boone (spouse)"), or a clinical "is a 54 y/o".
        TextPattern(
            rf"(?:^|[^\w'’-])(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?P<last>{ANY_NAME_WORD})){RELATION_AFTER}",
            TextHint(whole_words=RELATION_WORDS),
            "validate_context_pair",
        ),
        TextPattern(
            rf"(?:^|[^\w'’-])(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?P<last>{ANY_NAME_WORD}))"
            r",?\s+(?i:is\s+)?an?\s+\d{1,3}[\s-](?i:y/?o|yo|yrs?\b|years?[\s-]old)",
            TextHint(whole_words=("y", "yo", "yr", "yrs", "year", "years")),
            "validate_context_pair",
        ),
        # ... or signing a message: "Thanks,\nDonna Hall", "Kind regards,\nBill White".
        TextPattern(
            r"(?i:\b(?:thanks|thank you|regards|best|cheers|sincerely|yours|br|kind regards|best regards))[,!.]?"
            # A second given name or first surname too: "Ivy Pieters van der Maes", "Sterre van 't Erve".
            rf"[ \t]*\r?\n\s*(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?| {ANY_NAME_WORD})? "
            rf"(?:{PARTICLES} ){{0,3}}(?P<last>{ANY_NAME_WORD}))[ \t]*(?:$|\r?\n)",
            TextHint(
                keywords=("thanks", "thank you", "regards", "best", "cheers", "sincerely", "yours", "br")
            ),
            "validate_context_pair",
        ),
        # ... or before the birth date that identifies them: "Kwabena Lewis, DOB 1961-02-03".
        TextPattern(
            rf"(?:^|[^\w'’-])(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?:{PARTICLES} ){{0,2}}"
            rf"(?P<last>{ANY_NAME_WORD})),?\s+(?i:DOB\b|D\.O\.B\.|date of birth\b|born\b)",
            TextHint(keywords=("dob", "d.o.b", "date of birth", "born")),
            "validate_context_pair",
        ),
        # A SEPA/MT940 narrative's counterparty subfield ?32/?33 (its name, 27 characters each), glued to
        # its tag: "?32Siegmund Hartung", "?32Karl-Ludwig Budig". A firm's ("?32STADTWERKE GMBH") stays.
        TextPattern(
            rf"\?3[23] ?(?P<v>{ANY_NAME_WORD}\.?(?: (?:{PARTICLES} )?{ANY_NAME_WORD}\.?){{1,3}})(?:$|[?\n])",
            TextHint(keywords=("32", "33")),
            "validate_counterparty_run",
        ),
        # Names in Chinese, Japanese or Korean script after a transfer or a word that announces a person
        # ("Wire to 太郎 佐藤", "beneficiary 김민준"): no list of given names to check them against.
        TextPattern(
            rf"(?:{PAYMENT_CONTEXT}|{PERSON_CONTEXT}[,:]?\s*|(?i:\bbeneficiary|\brecipient|\bsender)[,:]?\s*)"
            rf"(?P<v>{CJK_NAME})",
            TextHint(
                keywords=(*PAYMENT_WORDS, *PERSON_CONTEXT_STARTS, "beneficiary", "recipient", "sender"),
                whole_words=PERSON_CONTEXT_WORDS,
            ),
        ),
        # A transfer's counterparty: "Zelle from John Smith", "Venmo to Jordan Lee" (a known given name
        # first: "payment to Amazon Marketplace" stays), "transfer from J. Okafor".
        TextPattern(
            rf"{PAYMENT_CONTEXT}(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?P<last>{ANY_NAME_WORD}))",
            TextHint(keywords=PAYMENT_WORDS),
            "validate_known_given",
        ),
        TextPattern(
            rf"{PAYMENT_CONTEXT}(?P<v>(?:[A-Z]\.\s?){{1,2}}(?P<last>{TITLED_WORD}|[A-Z]{{2,}}\b))",
            TextHint(keywords=PAYMENT_WORDS),
            "validate_initial_surname",
        ),
        # ... whoever it is (fail closed: "ZELLE FROM KEMI ADEYEMI", "VENMO TO TRAN THI MAI"): the whole
        # run of 2-4 capitalised words up to a digit, punctuation, a lower-case or memo word, or the
        # end, with no organisation or account word ("FROM CHASE BANK", "TO JOINT CHECKING 1234").
        TextPattern(
            rf"{PAYMENT_CONTEXT}(?P<v>{ANY_NAME_WORD}(?: (?:[A-Z]\.? )?{ANY_NAME_WORD}){{1,3}}?)"
            rf"(?:\s*$|\s*[^\s\w]|\s+[\da-z]|\s+(?i:{'|'.join(MEMO_WORDS)})\b)",
            TextHint(keywords=PAYMENT_WORDS),
            "validate_counterparty_run",
        ),
        *NAME_CONTEXT_PATTERNS,  # a caller, an agent, a manager, a greeting; a credential after the name
        # A job, then a name or a surname: "Driver Penny Payne", "Nurse Okafor", "Pharmacist R. Singh".
        TextPattern(
            rf"{ROLE_CONTEXT}\s+(?P<v>(?P<initials>(?:[A-Z]\.\s?){{0,2}})(?P<first>{TITLED_WORD})(?: (?P<last>{TITLED_WORD}))?)",
            TextHint(keywords=ROLE_WORDS, exact=("Dr",)),
            "validate_role_name",
        ),
        # A display name before an e-mail address: "Jane Doe <jd@x.org>", "\"Doe, Jane\" <jd@x.org>".
        TextPattern(
            rf"(?:^|[^\w'’-])(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?| {ANY_NAME_WORD})? "
            rf"(?:(?:{PARTICLES}|die) ){{0,3}}(?P<last>{ANY_NAME_WORD}))\"?{ADDRESS_AFTER}",
            TextHint(shapes=("at",)),
            "validate_display_name",
        ),
        TextPattern(
            # Particles in any case before the surname: "de Gruson, Sebastiaan", "Le Goff, Juliette".
            # Double surnames too: "Bruijne van der Veen, Meike", "Jacobi Jäckel, Anna".
            rf"\"(?P<v>(?:(?:(?i:{PARTICLES})|{ANY_NAME_WORD}) ){{0,4}}(?P<last>{ANY_NAME_WORD}),\s?"
            rf"(?P<first>{ANY_NAME_WORD})"
            rf"(?: [A-Z]\.?| {ANY_NAME_WORD})?)\"{ADDRESS_AFTER}",
            TextHint(shapes=("at",)),
            "validate_context_pair",
        ),
        *(
            TextPattern(
                hl7_field("PV1", position, HL7_XCN_NAME, after_id=True), HL7_PV1_HINT, "validate_hl7_name"
            )
            for position in HL7_PV1_DOCTORS
        ),
        # A payment's counterparty in capitals ("FPS CREDIT FROM SHARON DAWSON", "TRF TO JOHN O'NEIL"):
        # the first word must be a known given name.
        TextPattern(
            # A receipt thanks its cardholder: "THANK YOU WILLIAM BOYER".
            r"\b(?:FROM|TO|PAYEE|BENEFICIARY|BEN|ATTN|FAO|BY|PT|PATIENT|MEMBER|CUSTOMER|THANK YOU|THANKS)\s+"
            r"(?P<v>(?P<first>[A-Z][A-Z'’-]+) (?:[A-Z] )?(?P<last>(?:MC|MAC|O['’])?[A-Z][A-Z'’-]+))\b",
            TextHint(exact=COUNTERPARTY_LEADS),
            "validate_known_given",
        ),
        # Names in Cyrillic, Greek, Hebrew, Arabic, Devanagari, Thai, Chinese, Japanese and Korean
        # after a word of their language that announces a person, or before an honorific.
        *SCRIPT_NAME_PATTERNS,
    )
    # A name without a title or label ("Called John Smith about refill", "spoke with Maria
    # Gonzalez-Ruiz's daughter"): a known given name, an optional middle name or initial, then a
    # capitalised surname (particles, Mc/O'/d' and hyphens allowed) that is no street, place or
    # organisation word. The C prefilter asks for a given name's ASCII start at a word start.
    untitled_pattern = TextPattern(
        r"\b(?P<v>(?:" + "|".join(GIVEN) + r")(?P<middle> [A-Z]\.?| " + NAME_WORD + r")? "
        rf"(?:{PARTICLES} ){{0,2}}(?P<last>(?:Mc|Mac|O['’]|D['’]|d['’])?{NAME_WORD}(?:-{NAME_WORD})?))\b",
        TextHint(exact=shortest_prefixes(hint_words(GIVEN))),
        "validate_untitled",
        words_before_space=True,
    )
    # A hyphenated given name ("Hans-Christian Schleich", "Anne-Marie Roy"), its first part known: the
    # list's prefilter reads a token's last letters, so it cannot be the untitled pattern's list.
    hyphenated_pattern = TextPattern(
        rf"\b(?P<v>(?P<first>{NAME_WORD})-(?:{NAME_WORD}|[A-Z]\.)(?: [A-Z]\.)? (?:{PARTICLES} ){{0,2}}"
        rf"(?P<last>(?:Mc|Mac|O['’]|D['’]|d['’])?{NAME_WORD}(?:-{NAME_WORD})?))\b",
        TextHint(exact=shortest_prefixes(hint_words(GIVEN))),
        "validate_known_given",
    )
    _AMBIGUOUS_VALUES: ClassVar[pa.Array] = pa.array(sorted(AMBIGUOUS_GIVEN))
    _ROLE_NOUN_VALUES: ClassVar[pa.Array] = pa.array(sorted(ROLE_NOUNS))
    # A given name with an accented letter ("Émile Navarro", "Ayşe Çelik", "Łukasz Nowak") read without
    # its accents against the list; untitled, so not looked for in a company column.
    accented_pattern = TextPattern(
        rf"(?:^|[^\w'’-])(?P<v>(?P<first>(?:[À-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž]+|[A-Z][a-z]*[ß-öø-ÿĀ-ž][a-zß-öø-ÿĀ-ž]*)(?:-[A-ZÀ-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž]+)?) "
        rf"(?:{PARTICLES} ){{0,2}}(?P<last>(?:Mc|Mac|O['’]|D['’]|d['’])?{NAME_WORD}(?:-{NAME_WORD})?))\b",
        TextHint(),
        "validate_known_given",
    )
    _NOT_SURNAME_VALUES: ClassVar[pa.Array] = pa.array(sorted(NOT_SURNAME))
    _MONTH_GIVEN_VALUES: ClassVar[pa.Array] = pa.array(["April", "August", "June", "May"])
    _SURNAME_TOO_VALUES: ClassVar[pa.Array] = pa.array(sorted(SURNAME_TOO))
    _FIRM_VALUES: ClassVar[pa.Array] = pa.array(sorted(COUNTERPARTY_FIRM_WORDS))
    _COMMON_WORD_VALUES: ClassVar[pa.Array] = pa.array(COMMON_WORDS)

    def __init__(self, *, gps_precision: int = 3, free_text: bool = True) -> None:
        """`free_text`: whether names without a title are looked for (notes, not a company column)."""
        super().__init__(gps_precision=gps_precision)
        self.free_text = free_text

    def text_patterns(self) -> tuple[TextPattern, ...]:
        return super().text_patterns() + (
            (self.untitled_pattern, self.hyphenated_pattern, self.accented_pattern) if self.free_text else ()
        )

    def names(self, normalized_header: str) -> bool:
        return (
            super().names(normalized_header)
            or named_by_tokens(normalized_header)
            or native_name_header(normalized_header)
        )

    def validate(self, values: pa.Array) -> np.ndarray:
        # Airline manifests write SURNAME/GIVEN and a title: "SMITH/JOHN MR" reads "JOHN SMITH".
        if containing(values, b"/").any():
            values = pc.replace_substring_regex(values, AIRLINE_NAME, r"\2 \1")
        # HL7 XPN writes FAMILY^GIVEN^MIDDLE: "CRUZ^BENJAMIN^Q" reads "CRUZ BENJAMIN Q".
        if containing(values, b"^").any():
            spaced = pc.utf8_trim_whitespace(pc.replace_substring(values, "^", " "))
            values = pc.if_else(pa.array(matches(values, XPN_NAME)), spaced, values)
        found = native_check("name", values)  # ASCII names decided in C, UNDECIDED for the others
        if found is None:
            valid = self._validate_unicode(values)
        else:
            valid = found == 1
            undecided = np.flatnonzero(found == UNDECIDED)
            if undecided.size:
                valid[undecided] = self._validate_unicode(values.take(pa.array(undecided)))
        if valid.any():
            # "SELF" or "MERCY GENERAL HOSPITAL" in a guarantor or payee column is no person's name.
            valid &= ~self.published(values)
        return valid

    def published(self, values: pa.Array) -> np.ndarray:
        # A form's placeholder for a person ("SELF", "Same as patient") or an organisation ("QUEST
        # DIAGNOSTICS INC", "CVS PHARMACY #4471") where a column names people: nothing to anonymize.
        return placeholder_or_organisation(values, GIVEN_FOLDED_UNAMBIGUOUS)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # A header that says nothing ("col2", "PAX"): only forms names alone take are distinctive
        # enough (HL7 XPN, airline SURNAME/GIVEN, "Surname, Given"; name_values.py).
        # A known given name and a surname ("Tony Ali"): most values of a column so, it holds names.
        form = matches(values, XPN_NAME) | name_by_form(values, GIVEN_FOLDED_UNAMBIGUOUS)
        form |= given_and_surname(values, GIVEN_FOLDED_UNAMBIGUOUS)
        found = form & self.validate(values)
        # ... or names in another script, enough of them listed (name_scripts.py).
        other = ~to_mask(pc.string_is_ascii(values))
        if other.any():
            found[other] |= script_names(values.filter(pa.array(other)))
        return found

    def evidence_ceiling(self, values: pa.Array) -> float:
        if not len(values):
            return 0.0
        return float(
            np.mean(
                containing(values, b"^")
                | containing(values, b"/")
                | containing(values, b",")
                | ~to_mask(pc.string_is_ascii(values))
                | matches(values, r"^\p{Lu}[^ ]* \p{Lu}")
            )
        )

    def validate_by_role(self, values: pa.Array) -> np.ndarray:
        return self.validate(values) & person_by_role(values, GIVEN_FOLDED)

    @staticmethod
    def _validate_unicode(values: pa.Array) -> np.ndarray:
        # A name may start with an apostrophe ("'s Gravensande, Jennifer").
        return matches(values, r"^['’]?\pL[\pL\pM'’. ,-]*$") & (lengths(values) >= 2)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # The context word is the evidence; a capitalised word after "Patient:" is a name.
        return np.ones(len(found), dtype=bool)

    def validate_untitled(self, found: pa.StructArray) -> np.ndarray:
        # Neither the surname nor a middle word may make the pair a place or an organisation.
        surname = to_mask(pc.is_in(found.field("last"), value_set=self._NOT_SURNAME_VALUES))
        middle = to_mask(
            pc.is_in(pc.utf8_trim_whitespace(found.field("middle")), value_set=self._NOT_SURNAME_VALUES)
        )
        return ~(surname | middle)

    def validate_context_pair(self, found: pa.StructArray) -> np.ndarray:
        # Two capitalised words, neither a place, organisation, date or sentence word ("The Clinic"),
        # though a surname may be a place word too ("Imani Hall").
        # A month that is a given name too starts a name ("for April Meyers")...
        first, last = found.field("first"), found.field("last")
        surname_too = to_mask(pc.is_in(folded_title(last), value_set=self._SURNAME_TOO_VALUES))
        # ... and a surname too ("Harold May", "Brandon June").
        month_last = to_mask(pc.is_in(folded_title(last), value_set=self._MONTH_GIVEN_VALUES))
        last_bad = self._not_name(last) & ~surname_too & ~month_last
        month_given = to_mask(pc.is_in(folded_title(first), value_set=self._MONTH_GIVEN_VALUES))
        return ~((self._not_name(first) & ~month_given) | last_bad)

    def validate_weak_context_pair(self, found: pa.StructArray) -> np.ndarray:
        third = to_mask(pc.greater(pc.utf8_length(found.field("third")), 0))
        return self.validate_context_pair(found) & ~third

    def validate_self_intro(self, found: pa.StructArray) -> np.ndarray:
        # The phrase is the evidence, so a surname may be a place word ("soy Cecilio Plaza"); German
        # capitalises nouns, so there the given name must be known.
        first = found.field("first")
        known = to_mask(pc.is_in(folded_title(first), value_set=GIVEN_FOLDED))
        german = context_group(found, "de")
        third = to_mask(pc.greater(pc.utf8_length(found.field("third")), 0))
        return np.where(german, known, ~self._not_name(first)) & ~third

    def validate_known_given(self, found: pa.StructArray) -> np.ndarray:
        first = folded_title(found.field("first"))
        known = to_mask(pc.is_in(first, value_set=GIVEN_FOLDED))
        last = found.field("last")
        not_name = self._not_name(last)
        surname_too = to_mask(pc.is_in(folded_title(last), value_set=self._SURNAME_TOO_VALUES))
        # A given name that is a common word before a place or organisation word is a firm: "CHASE BANK".
        firm = to_mask(pc.is_in(first, value_set=self._AMBIGUOUS_VALUES)) & not_name
        return known & ~(not_name & ~surname_too) & ~firm

    def validate_announced_given(self, found: pa.StructArray) -> np.ndarray:
        # A word that announces a person ("Reports to Mark Hill"): a known given name, even a common
        # word's ("Chase", "Grace"), before a surname that may be a place's too.
        last, surname_too = (
            found.field("last"),
            to_mask(pc.is_in(folded_title(found.field("last")), value_set=self._SURNAME_TOO_VALUES)),
        )
        known = to_mask(pc.is_in(folded_title(found.field("first")), value_set=GIVEN_FOLDED))
        return known & ~(self._not_name(last) & ~surname_too)

    def validate_display_name(self, found: pa.StructArray) -> np.ndarray:
        # A sender's name, not a service's ("Google Calendar <calendar-notification@...>"): a known
        # given name first, or an address spelling the name ("Kwame Asante <kasante@...>").
        known = to_mask(pc.is_in(folded_title(found.field("first")), value_set=GIVEN_FOLDED))
        spelt = address_spells(found.field("first"), found.field("last"), found.field("local"))
        # An address spelling both words names a person whose surname is a place word ("Miguel House
        # <miguel.house@...>"), when the given name is known.
        both = known & ~self._not_name(found.field("first"))
        both &= address_spells(found.field("first"), found.field("last"), found.field("local"), both=True)
        return (self.validate_context_pair(found) & (known | spelt)) | both

    def validate_counterparty_run(self, found: pa.StructArray) -> np.ndarray:
        # No word of the run may name a firm, a public body or an account ("IRS TREAS", "ADP PAYROLL").
        words = pc.utf8_split_whitespace(found.field("v"))
        flat = pc.list_flatten(words)
        firm = to_mask(pc.is_in(folded_title(flat), value_set=self._FIRM_VALUES)) | self._not_name(flat)
        firm &= ~matches(flat, r"^[A-Z]\.?$")  # an initial ("TUNDE A BALOGUN") is no common word "a"
        rows = pc.list_parent_indices(words).to_numpy()
        return np.bincount(rows[firm], minlength=len(found)) == 0

    def validate_initial_surname(self, found: pa.StructArray) -> np.ndarray:
        return ~self._not_name(found.field("last"))

    def validate_role_name(self, found: pa.StructArray) -> np.ndarray:
        # Neither word a heading's ("Driver Update", "Nurse Station"); one word alone no common word
        # that is a given name too ("Dr Pepper"), unless initials make it a surname ("Pharmacist M. Rose").
        first, last = found.field("first"), found.field("last")
        has_last = context_group(found, "last")
        heading = self._role_noun(first) | (has_last & (self._role_noun(last) | self._not_name(last)))
        one_word = ~has_last & ~context_group(found, "initials")
        common = to_mask(pc.is_in(folded_title(first), value_set=self._AMBIGUOUS_VALUES)) & one_word
        return ~(heading | self._not_name(first) | common)

    def _role_noun(self, words: pa.Array) -> np.ndarray:
        return to_mask(pc.is_in(folded_title(words), value_set=self._ROLE_NOUN_VALUES))

    def validate_hl7_name(self, found: pa.StructArray) -> np.ndarray:
        return hl7_token_free(found.field("v"))

    def _not_name(self, words: pa.Array) -> np.ndarray:
        titled = folded_title(words)
        return to_mask(pc.is_in(titled, value_set=self._NOT_SURNAME_VALUES)) | to_mask(
            pc.is_in(pc.utf8_lower(words), value_set=self._COMMON_WORD_VALUES)
        )

    def validate_lower_case(self, found: pa.StructArray) -> np.ndarray:
        first = pc.utf8_split_whitespace(found.field("v"), max_splits=1)
        first_word = pc.list_element(first, 0)
        return ~to_mask(pc.is_in(first_word, value_set=self._COMMON_WORD_VALUES))
