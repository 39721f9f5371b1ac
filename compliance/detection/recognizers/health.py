"""Health identifiers: date of birth, medical record number, NPI, health plan id."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    UNDECIDED,
    containing,
    digits_of,
    luhn_valid,
    matches,
    native_check,
    right_aligned_codes,
    share_starting_with,
    to_mask,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers import native_words as native
from compliance.detection.recognizers.base import (
    DIGITS,
    HL7_PID_HINT,
    HL7_PV1_DOCTORS,
    HL7_PV1_HINT,
    LETTERS,
    Recognizer,
    TextPattern,
    context_group,
    has_digit,
    hl7_field,
    hl7_pid_field,
)
from compliance.detection.recognizers.segments import (
    PNR_DOB,
    RECORD_DOB,
    RECORD_HEALTH_PLAN_ID,
    RECORD_MRN,
    X12_DOB,
    X12_MEMBER_ID,
    X12_NPI,
)
from compliance.vocabulary import IdType


def _century_earlier(seconds: int) -> int:
    day = dt.date(1970, 1, 1) + dt.timedelta(seconds=seconds)
    earlier = day.replace(year=day.year - 100, day=min(day.day, 28) if day.month == 2 else day.day)
    return (earlier - dt.date(1970, 1, 1)).days * 86400


def _real_compact_day(values: pa.Array) -> np.ndarray:
    """False for a yyyymmdd value that is no calendar day ("19990230": strptime rolls it over);
    True for every other value (other notations are checked by their parse)."""
    ok = np.ones(len(values), dtype=bool)
    compact = matches(values, r"^\d{8}$")
    for index in np.flatnonzero(compact):
        text = values[int(index)].as_py()
        try:
            dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            ok[index] = False
    return ok


class DateOfBirthRecognizer(Recognizer):
    id_type = IdType.DATE_OF_BIRTH
    header = ANY_PREFIX + (
        r"(?:dob|d_o_b|birth_date|birthdate|date_of_birth|birthday|bday|birth_dt|dob_date|born|born_on|"
        r"birth|date_birth|dt_of_birth|birth_day|"
        # Other languages, accents folded: "Fecha de nacimiento", "Date de naissance", "Geburtsdatum".
        r"fecha_de_nacimiento|fecha_nacimiento|fecha_nac|f_nacimiento|f_nac|nacimiento|date_de_naissance|"
        r"date_naissance|naissance|ne_le|nee_le|ne_e_le|geburtsdatum|geb_datum|gebdatum|geboren_am|geboren|"
        rf"data_di_nascita|data_nascita|data_de_nascimento|data_nascimento|nascimento|geboortedatum|{native.BIRTH_HEADERS})"
    )
    _DATE = (
        r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2}\b)|\d{1,2}-\d{1,2}-\d{2,4}|"
        r"(?i:[a-z]{3,9})\.? \d{1,2}(?i:st|nd|rd|th)?,? \d{4}|\d{1,2}(?i:st|nd|rd|th)? (?:(?i:of) )?(?i:[a-z]{3,9})\.?,? \d{4}|"
        # A two-digit year after a month name, said rather than written ("4th of March '42", "Mar 4 '61").
        r"(?i:[a-z]{3,9})\.? \d{1,2}(?i:st|nd|rd|th)?,? ['’]\d{2}\b|\d{1,2}(?i:st|nd|rd|th)? (?:(?i:of) )?(?i:[a-z]{3,9})\.?,? ['’]?\d{2}\b|"
        # The month abbreviated between dashes or slashes (Oracle's DD-MON-YYYY): "15-Mar-1990", "3-MAR-61".
        r"\d{1,2}[-/](?i:[a-z]{3,9})[-/](?:\d{4}|\d{2})\b|\d{4}-(?i:[a-z]{3})-\d{1,2}\b|"
        # Compact yyyymmdd ("DOB: 19990327", "birthDate":"20010524"): a real day is checked on it.
        r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b"
    )
    text_pattern = (
        r"(?i:\bdob\b|\bbday\b|\bd\.o\.b\.?|\bdate of birth|\bborn(?:\s+on)?|\bbirth\s*date|\bbirthday|"
        # Other languages: "nacido el", "nací el", "nasceu em", "fecha de nacimiento", "née le", "date de naissance", "geboren am",
        # "geb.", "Geburtsdatum", "nato il", "data di nascita", "geboren op", "geboortedatum".
        r"\bnac(?:[ií]|id[oa])\s+el|\bnasc(?:eu|i)\s+em|\bfecha\s+de\s+nacimiento|\bf\.\s?nac\.?|\bn[ée]e?\s+le|\bdate\s+de\s+naissance|"
        r"\bgeboren(?:\s+(?:am|op))?|\bgeb\.|\bgeburtsdatum|\bnat[oa]\s+il|\bdata\s+di\s+nascita|\bgeboortedatum)"
        # "DOB is 11/06/2003", "date of birth was March 3, 1982", "corrected DOB to 08/15/1984",
        # "DOB changed to ...": a record's correction names the date it now holds.
        r"\"?\s*[:#>-]?\s*\"?(?:(?i:(?:changed|updated|corrected|amended|set|now)\s+to|to|is|was|now|of)\s+)?"
        rf"(?:(?i:the)\s+)?(?P<v>{_DATE})"
    )
    text_hint = TextHint(
        keywords=(
            "dob", "bday", "d.o.b", "date of birth", "born", "birth", "naci", "nasc", "fecha", "f.", "nee", "ne le",
            "date de naissance", "geb", "geburtsdatum", "nato", "nata", "data di nascita",
            "geboortedatum",
        )
    )  # fmt: skip
    # HL7 PID-7: YYYYMMDD, perhaps with a time (its date part is the birth date).
    context_patterns = (
        *X12_DOB,
        *PNR_DOB,
        *RECORD_DOB,
        TextPattern(hl7_pid_field(7, r"\d{8}"), HL7_PID_HINT),
        *native.BIRTH_PATTERNS,  # round 11: "17.10.1940 г.р.", "生年月日 1983年11月21日", "วันเกิด 02/03/2486"
    )
    FORMATS = (
        "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y", "%Y%m%d",
        "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y",
        "%m/%d/%y", "%d/%m/%y", "%d.%m.%y", "%m-%d-%y", "%d %B %y", "%d %b %y", "%B %d %y", "%b %d %y",
    )  # fmt: skip
    # "6/9/60": a two-digit year, read only by the %y formats (%Y would read it as the year 60).
    TWO_DIGIT_YEAR = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$|^[^/.-]*[A-Za-z][^/-]* ['’]?\d{2}$"
    MAX_AGE_YEARS = 120
    # A parse must consume the whole value, and no FORMATS field or separator (nor any month name)
    # reads these characters: values holding one (tokens, masked values) skip the 15 attempts.
    UNPARSEABLE = r"[_*]"
    DATE_BIAS = 1_000_000  # native_check("date") adds it to the days since 1970 (see native/id_checks.c)

    # A column no header names is typed by its values only when they are dates whose years spread
    # as a population's births do: event dates (admissions, payments) cluster in a few years.
    by_values = True
    BIRTH_YEARS_SPREAD = 25

    def evidence(self, values: pa.Array) -> np.ndarray:
        seconds = self._seconds(values)
        valid = self._in_lifetime(seconds)
        if valid.sum() < 2:
            return np.zeros(len(values), dtype=bool)
        years = seconds[valid] / (365.2425 * 86400)
        low, high = np.percentile(years, [10, 90])
        return valid if high - low >= self.BIRTH_YEARS_SPREAD else np.zeros(len(values), dtype=bool)

    def evidence_ceiling(self, values: pa.Array) -> float:
        # ISO, numeric and compact dates start with a digit; a timestamp has at most 19 characters.
        return share_starting_with(values, DIGITS, min_bytes=6, max_bytes=19)

    def validate(self, values: pa.Array) -> np.ndarray:
        return self._in_lifetime(self._seconds(native.cjk_dates(values)))  # "1952년 7월 5일" too

    def _in_lifetime(self, parsed: np.ndarray) -> np.ndarray:
        today = dt.date.today()
        latest = (today - dt.date(1970, 1, 1)).days * 86400
        earliest = (
            dt.date(today.year - self.MAX_AGE_YEARS, today.month, 1) - dt.date(1970, 1, 1)
        ).days * 86400
        return (parsed >= earliest) & (parsed <= latest)

    def _seconds(self, values: pa.Array) -> np.ndarray:
        """Seconds since 1970 of each value read as a date; int64 min for those no format reads."""
        # ISO dates (most of a column) are read in C: days since 1970 + DATE_BIAS; NO_MATCH for values
        # no format reads; UNDECIDED for the rest, which strptime reads.
        found = native_check("date", values)
        if found is None:
            parsed = self._parse(values)
        else:
            decided = found >= 0
            parsed = np.where(decided, (found - self.DATE_BIAS) * 86400, np.iinfo(np.int64).min)
            undecided = np.flatnonzero(found == UNDECIDED)
            if undecided.size:
                parsed[undecided] = self._parse(values.take(pa.array(undecided)))
        return parsed

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        return self.validate(value) & _real_compact_day(value)

    def validate_native(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(native.native_dates(found))

    def validate_ddmonyy(self, found: pa.StructArray) -> np.ndarray:
        # Airline messages write dates unseparated ("04MAR61"): read as "04 MAR 61".
        return self.validate(
            pc.replace_substring_regex(found.field("v"), r"^(\d{2})([A-Z]{3})(\d{2})$", r"\1 \2 \3")
        )

    def published(self, values: pa.Array) -> np.ndarray:
        # Safe Harbor keeps the year; k-anonymity may publish a range of years.
        return matches(values, r"^(?:1[89]|20)\d{2}(?:\s*-\s*(?:1[89]|20)\d{2})?$")

    def _parse(self, values: pa.Array) -> np.ndarray:
        """Seconds since 1970 of each value read with the first of FORMATS that fits it; int64 min
        for nulls and values no format reads."""
        # Timestamps ("1980-05-03T00:00:00", "1980-05-03 00:00:00") count by their date part.
        text = pc.if_else(
            matches(values, r"^\d{4}-\d{2}-\d{2}[T ]"), pc.utf8_slice_codeunits(values, 0, 10), values
        )
        # A month name between dashes or slashes is read as "day month year": "15-Mar-1990",
        # "03-MAR-61", "15/Mar/1990", "1990-Mar-15".
        text = pc.replace_substring_regex(
            text, r"^(\d{1,2})[-/]([A-Za-z]{3,9})[-/](\d{2}|\d{4})$", r"\1 \2 \3"
        )
        text = pc.replace_substring_regex(text, r"^(\d{4})-([A-Za-z]{3})-(\d{1,2})$", r"\3 \2 \1")
        parsed = np.full(len(values), np.iinfo(np.int64).min, dtype=np.int64)
        pending = matches(text, r"\d{2}") & ~matches(text, self.UNPARSEABLE)
        # A format reads only values holding its literal separator (or a month name's letters): each
        # value is tried with the few formats of its shape, not all fifteen.
        shape = {sep: containing(text, sep.encode()) for sep in "/.-"}
        shape["letters"] = containing(text, LETTERS)
        shape["digits"] = ~(shape["/"] | shape["."] | shape["-"] | shape["letters"])
        short_year = matches(text, self.TWO_DIGIT_YEAR)
        for pattern in self.FORMATS:
            if not pending.any():
                break
            year_fits = short_year if "%y" in pattern else ~short_year
            index = np.flatnonzero(pending & shape[self._shape_of(pattern)] & year_fits)
            if index.size == 0:
                continue
            candidates = text.take(pa.array(index))
            if "%b" in pattern or "%B" in pattern:
                candidates = self._month_name_date(candidates)
            seconds = pc.strptime(candidates, format=pattern, unit="s", error_is_null=True)
            ok = to_mask(pc.is_valid(seconds))
            parsed[index[ok]] = seconds.filter(pa.array(ok)).cast(pa.int64()).to_numpy()
            pending[index[ok]] = False
        if short_year.any():
            # %y reads 00-68 as 20xx; a birth date is never in the future, so "6/9/60" is 1960.
            future = np.flatnonzero(short_year & (parsed > int(time.time())))
            parsed[future] = [_century_earlier(int(seconds)) for seconds in parsed[future]]
        return parsed

    @staticmethod
    def _month_name_date(values: pa.Array) -> pa.Array:
        """The forms strptime reads: "Mar. 5 1980" -> "Mar 5 1980", "3rd of March, 1971" -> "3 March 1971"."""
        values = pc.replace_substring_regex(values, r" ['’](\d{2})$", r" \1")
        values = pc.replace_substring_regex(values, r"\.(?: |$)", " ")
        values = pc.replace_substring_regex(values, r"(\d)(?i:st|nd|rd|th)\b,?(?: (?i:of)\b)?", r"\1")
        return pc.replace_substring_regex(values, r"^(\d{1,2} [A-Za-z]+),", r"\1")

    @staticmethod
    def _shape_of(pattern: str) -> str:
        if "%b" in pattern or "%B" in pattern:
            return "letters"
        return next((sep for sep in "/.-" if sep in pattern), "digits")


class MrnRecognizer(Recognizer):
    id_type = IdType.MRN
    header = ANY_PREFIX + (
        r"(?:mrn|medical_record|medical_record_number|medical_record_no|medical_record_num|medical_record_id|"
        r"med_rec|medrec|med_rec_no|med_rec_num|med_rec_number|med_rec_id|patient_id|patient_number|patient_no|pt_id|pt_number|pt_no|"
        r"pat_id|patient_mrn|pt_mrn|chart_number|chart_no|"
        r"chart_id|chart|chart_num|health_record_number|health_record_id|ehr_id|emr_id|hospital_number|"
        r"hospital_no|unit_number|"
        # "Nº Historia" (historia clínica), the French IPP and dossier, "Patientennummer", "Fallnummer",
        # "Cartella clinica", "Patiëntnummer".
        r"(?:no|n|nro|num|numero)_(?:historia|historia_clinica|historial|dossier|cartella)|historia_clinica|nhc|"
        r"ipp|numero_ipp|dossier_patient|patientennummer|patienten_nummer|patienten_id|fallnummer|"
        rf"cartella_clinica|patientnummer|patient_nummer|{native.MRN_HEADERS})"
    )
    text_pattern = (
        r"(?i:\bmrn|\bmedical\s+record(?:\s+(?:number|no\.?|num|#))?|\bchart\s*(?:number|no\.?|#)|"
        # "Pt ID 4471203", "patient no. 00452219": the hospital's number for the patient.
        r"\b(?:patient|pt)\.?\s*(?:id|number|no\.?|#)|"
        # "Med Rec # 54305704"; "med rec" alone is also a medication reconciliation, so a number word.
        r"\bmed\.?\s*rec(?:ord)?\.?\s*(?:#|no\b\.?|num(?:ber)?\b|:))"
        r"\"?\s*(?:#\s*)?[:>]?\s*\"?(?P<v>[A-Za-z0-9][A-Za-z0-9-]{5,13})\b"  # "<mrn>48340678</mrn>" too
    )
    text_hint = TextHint(keywords=("mrn", "medical", "med", "chart", "patient", "pt"))
    # HL7 PID-3: the first id of the patient identifier list ("4871367^^^HOSP^MR").
    context_patterns = (
        TextPattern(hl7_pid_field(3, r"[A-Za-z0-9][A-Za-z0-9-]{3,19}\b"), HL7_PID_HINT),
        *RECORD_MRN,
        *native.MRN_PATTERNS,  # round 11: "№ карты ИБ-2019-876926", "診察券番号 ..."
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("mrn", values)  # 1 when shaped like below
        if found is not None:
            return (found == 1) | native.cyrillic_mrn(values)
        return matches(values, r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){5,11}$") & has_digit(
            values
        ) | native.cyrillic_mrn(values)


class NpiRecognizer(Recognizer):
    id_type = IdType.NPI
    header = (
        ANY_PREFIX + r"(?:npi|npi_number|npi_no|npi_id|national_provider_id|national_provider_identifier)"
    )
    by_values = True
    # The key of a JSON object too: {"npi":"1245319599"}.
    text_pattern = r"(?i:\bnpi)\s*(?:number|no\.?|#)?\"?\s*[:#]?\s*\"?(?P<v>\d{10})\b"
    text_hint = TextHint(keywords=("npi",))
    # A prescriber's DEA registration number ("DEA AB1234563"), the other provider number of a
    # claim: two letters and seven digits whose last is a check digit, right after "DEA".
    context_patterns = (
        *X12_NPI,
        # A FHIR reference to a practitioner by NPI ("Practitioner/2309124479"); the check digit decides.
        TextPattern(r"\bPractitioner(?:Role)?/(?P<v>\d{10})\b", TextHint(exact=("Practitioner",))),
        # The ID component of a PV1 doctor field is the doctor's NPI when its check digit holds.
        *(TextPattern(hl7_field("PV1", position, r"\d{10}\b"), HL7_PV1_HINT) for position in HL7_PV1_DOCTORS),
        TextPattern(
            r"(?i:\bdea\b)(?:\s*(?i:#|no\.?|number|reg(?:istration)?\.?(?:\s*(?:#|no\.?|number))?))?"
            r"[^\w\n]{0,4}(?P<v>[A-Za-z]{2}\d{7})\b",
            TextHint(keywords=("dea",)),
            "validate_dea",
        ),
    )

    def validate_dea(self, found: pa.StructArray) -> np.ndarray:
        value = pc.utf8_upper(found.field("v"))
        registrant = matches(value, r"^[ABCDEFGHJKLMPRSTUX]")
        digits = digits_of(pc.utf8_slice_codeunits(value, 2), 7)
        check = (
            digits[:, 0] + digits[:, 2] + digits[:, 4] + 2 * (digits[:, 1] + digits[:, 3] + digits[:, 5])
        ) % 10
        return registrant & (check == digits[:, 6])

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("npi", values)  # 1 when shaped like below and the check digit holds
        if found is not None:
            return found == 1
        shaped = matches(values, r"^[12]\d{9}$")
        # The check digit covers the card-issuer prefix 80840 (ISO 7812 health industry).
        return validate_where(
            values,
            shaped,
            lambda npi: luhn_valid(digits_of(pc.binary_join_element_wise("80840", npi, ""), 15)),
        )

    def evidence(self, values: pa.Array) -> np.ndarray:
        # A claim's id column may list providers' NPIs and beneficiaries' MBIs together: when NPIs are
        # there, MBIs count for the column too. Each value is still typed on its own: an MBI fails
        # closed into its HEALTH_PLAN_ID text form. A column of MBIs alone is HEALTH_PLAN_ID's.
        npi = self.validate(values)
        if not npi.any():
            return npi
        return npi | HealthPlanIdRecognizer._mbi(values)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, DIGITS, min_bytes=10, max_bytes=13)


# The people a health plan numbers, and the words for its number, in EN/DE/FR/ES/NL/IT exports.
_PLAN_HOLDER = (
    r"member|mbr|subscriber|subscr|beneficiary|insured|insuree|enrollee|policyholder|policy|insurance|"
    r"insurance_member|health_plan|plan_member|health_insurance|medical_insurance|dental_insurance|medicare|"
    r"medicaid|health_card|insurance_card|member_card|medical_card|"
    r"poliza|police|polizza|polis|adherent|adherente|afiliado|assure|asegurado|assicurato|versicherten|"
    r"versicherte|versicherung|krankenversicherten|mitglied|mitglieds|mutuelle|verzekerde|verzekering|"
    r"tarjeta_sanitaria|tessera_sanitaria|carte_sante|carte_assurance_maladie|zorgverzekering"
)
_NUMBER_WORD = r"id|identifier|number|num|nbr|no|nr|n|nro|numero|nummer|ref"
_HEALTH_PLAN_HEADER = (
    rf"(?:{_PLAN_HOLDER})(?:_(?:{_NUMBER_WORD}))+|"
    # "numero_poliza", "n_police", "id_adherent", "numero_de_poliza", "numero_tessera_sanitaria".
    rf"(?:{_NUMBER_WORD})_(?:(?:de|di|du|del|van|der)_)?(?:{_PLAN_HOLDER})|"
    # One-word German and Dutch forms ("Versichertennr", "Krankenversichertennummer", "Polisnummer").
    r"(?:kranken)?versicherten(?:nummer|nr|id)|versicherungs(?:nummer|nr|schein_?nummer)|kvnr|kv_nummer|"
    r"polic?en(?:nummer|nr)|polizzen(?:nummer|nr)|mitglieds(?:nummer|nr)|polis(?:nummer|nr)|"
    r"verzekerden(?:nummer|nr)|"
    # The card's number: "carte_sante", "health_card", OHIP, eGK; a pharmacy claim's NCPDP "Cardholder ID".
    r"carte_sante|carte_assurance_maladie|tarjeta_sanitaria|tessera_sanitaria|health_card|ohip|ramq|egk|"
    r"mbi|hicn|cardholder_id|cardholder_number|cardholder_no|card_holder_id"
)
# A Medicare Beneficiary Identifier, by the CMS rules: positions 2, 5, 8, 9 letters (no S, L, O, I,
# B, Z), 1 a digit 1-9, 4, 7, 10, 11 digits, 3 and 6 either.
_MBI_LETTER, _MBI_EITHER = "[AC-HJKMNP-RT-Y]", "[AC-HJKMNP-RT-Y0-9]"
_MBI = rf"[1-9]{_MBI_LETTER}{_MBI_EITHER}\d-?{_MBI_LETTER}{_MBI_EITHER}\d-?{_MBI_LETTER}{{2}}\d{{2}}"
# An Ontario health card: 10 digits (Luhn) and a version code of two letters.
_ONTARIO_CARD = r"\d{4}[- ]?\d{3}[- ]?\d{3}(?:[- ]?[A-Za-z]{2})?"


def _kvnr_valid(values: pa.Array) -> np.ndarray:
    """The German Krankenversichertennummer: a letter and nine digits; the letter as two digits
    (A=01..Z=26) and the next eight weighted 1,2,1,2..., each product's digit sum added, mod 10 is
    the last digit."""
    shaped = matches(values, r"^[A-Za-z]\d{9}$")
    out = np.zeros(len(values), dtype=bool)
    index = np.flatnonzero(shaped)
    if index.size == 0:
        return out
    codes = right_aligned_codes(pc.utf8_upper(values.take(pa.array(index))), 10).astype(np.int64)
    letter = codes[:, 0] - ord("A") + 1
    digits = codes[:, 1:] - ord("0")
    body = np.column_stack([letter // 10, letter % 10, digits[:, :8]])
    products = body * np.tile([1, 2], 5)
    total = (products // 10 + products % 10).sum(axis=1)
    out[index] = total % 10 == digits[:, 8]
    return out


class HealthPlanIdRecognizer(Recognizer):
    id_type = IdType.HEALTH_PLAN_ID
    header = ANY_PREFIX + (
        r"(?:member_id|member_number|member_no|health_plan_id|health_plan_number|health_plan_beneficiary_number|"
        r"plan_member_id|insurance_id|insurance_number|insurance_no|insurance_member_id|policy_number|policy_no|"
        r"policy_id|subscriber_id|subscriber_number|beneficiary_id|beneficiary_number|medicare_id|"
        rf"medicare_number|medicaid_id|medicaid_number|insured_id|{_HEALTH_PLAN_HEADER}|{native.HEALTH_PLAN_HEADERS})"
    )
    # A column no header names is typed by MBIs or dashed Ontario cards (evidence below).
    by_values = True
    text_pattern = (
        r"(?i:\bmember\s*id|\bhealth\s*plan\s*(?:id|number|no\.?)|\b(?P<national>national\s+)?insurance\s*(?:id|number|no\.?)|"
        r"\bpolicy\s*(?:id\b|number|no\.?|#)|\bmedicare\s*(?:id|number)|\bmedicaid\s*(?:id|number)|"
        # "sub id XJH532753319", "subscriber #", "mbr id", "Mbr W1234567": a claim's short labels.
        r"\bsub(?:scr(?:iber)?)?\.?\s*(?:id\b|no\b\.?|num(?:ber)?\b|#)|\bmbr\b\.?(?:\s*(?:id\b|no\b\.?|num(?:ber)?\b|#))?|"
        # "Member W942673933 called", "member # XJ1234567": the id right after the word.
        r"\bmember(?:\s*(?:number|no\.?|#))?)"
        r"\"?\s*(?:#\s*)?:?\s*\"?(?P<v>[A-Za-z0-9][A-Za-z0-9-]{4,19})\b"
    )
    text_hint = TextHint(
        keywords=(
            "member",
            "health",
            "insurance",
            "policy",
            "subscriber",
            "medicare",
            "medicaid",
            "sub",
            "mbr",
        )
    )
    # A Medicare Beneficiary Identifier after "Medicare"/"MBI" ("Medicare 1EG4-TE5-MK73"): its
    # fixed layout of digits and letters (no S, L, O, I, B, Z) is the check.
    context_patterns = (
        *X12_MEMBER_ID,
        *RECORD_HEALTH_PLAN_ID,
        TextPattern(
            r"(?i:\b(?:medicare|mbi|hicn)\b)[^\w\n]{0,4}(?:(?i:id|number|no|card|mbi|beneficiary id|is)"
            r"[^\w\n]{1,4}){0,2}(?P<v>\d[A-Za-z][A-Za-z0-9]\d-?[A-Za-z][A-Za-z0-9]\d-?[A-Za-z]{2}\d{2})\b",
            TextHint(keywords=("medicare", "mbi", "hicn")),
            "validate_mbi",
        ),
        # An MBI alone, in capitals: the layout is rare enough outside Medicare (positions 8-11 are
        # the caps_digits shape), so a value in a claim's id column is typed when no keyword is there.
        TextPattern(rf"\b(?P<v>{_MBI})\b", TextHint(shapes=("caps_digits",)), "validate_mbi"),
        # A German Krankenversichertennummer after its keyword, with its check digit.
        TextPattern(
            r"(?i:\b(?:kranken)?versicherten(?:-?nummer|-?nr\.?)|\bKVNR|\bversicherungsnummer)\s*[:#]?\s*"
            r"(?P<v>[A-Za-z]\d{9})\b",
            TextHint(keywords=("versicherten", "krankenversicherten", "kvnr", "versicherungsnummer")),
            "validate_kvnr",
        ),
        # A Canadian health card after its keyword ("OHIP 3833-721-123-II", "health card no ...").
        TextPattern(
            r"(?i:\bOHIP|\bhealth\s*card|\bcarte\s+sant[ée]|\bHCN)(?:\s*(?i:number|no\.?|#))?\s*[:#]?\s*"
            rf"(?P<v>{_ONTARIO_CARD})\b",
            TextHint(keywords=("ohip", "health card", "healthcard", "carte sant", "hcn")),
            "validate_ontario",
        ),
        *native.HEALTH_PLAN_PATTERNS,  # round 11: "Полис ОМС 8626820819068048"
    )

    def validate_mbi(self, found: pa.StructArray) -> np.ndarray:
        return self._mbi(found.field("v"))

    @staticmethod
    def _mbi(values: pa.Array) -> np.ndarray:
        return matches(pc.utf8_upper(values), rf"^{_MBI}$")

    def validate_kvnr(self, found: pa.StructArray) -> np.ndarray:
        return _kvnr_valid(found.field("v"))

    def validate_ontario(self, found: pa.StructArray) -> np.ndarray:
        return self._ontario(found.field("v"))

    @staticmethod
    def _ontario(values: pa.Array) -> np.ndarray:
        shaped = matches(values, rf"^{_ONTARIO_CARD}$")
        return validate_where(
            values,
            shaped,
            lambda cards: luhn_valid(
                digits_of(
                    pc.utf8_slice_codeunits(pc.replace_substring_regex(cards, r"[^0-9]", ""), 0, 10), 10
                )
            ),
        )

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9][A-Za-z0-9-]{4,19}$") & has_digit(values)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # MBIs (11 characters in the CMS layout) and Ontario cards written with their dashes and
        # version code ("3833-721-123-II", Luhn): shapes nothing else takes.
        dashed_card = matches(values, r"^\d{4}-\d{3}-\d{3}-[A-Za-z]{2}$")
        return (self._mbi(values) & matches(values, r"^[0-9A-Z-]{11,13}$")) | (
            dashed_card & self._ontario(values)
        )

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, DIGITS, min_bytes=11, max_bytes=15)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A UK "National Insurance no." is a national id (NATIONAL_ID), not a health plan's.
        return self.validate(found.field("v")) & ~context_group(found, "national")
