"""Phone numbers: a column's values by `phonenumbers` and the numbering plans (phone.py), and the
notations, keywords and contexts that give a phone in free text."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection import phone
from compliance.detection.arrays import (
    lengths,
    matches,
    share_starting_with,
    starting_with,
    strip_chars,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers import native_words
from compliance.detection.recognizers.base import (
    HL7_PID_HINT,
    Recognizer,
    TextPattern,
    context_group,
    hl7_pid_field,
    hl7_token_free,
)
from compliance.detection.recognizers.contact import url_decoded
from compliance.detection.recognizers.health import NpiRecognizer
from compliance.detection.recognizers.segments import PNR_PHONE, RECORD_PHONE, X12_PHONE
from compliance.vocabulary import IdType

# Words after which a run of digit groups is read as a phone number, up to three words apart
# ("call back on 020 7946 0958", "Reached by phone at 617.728.8451", "mobile: +44 7700 900123").
# A relative or emergency contact is most often given with a number: "Son (713) 607-0358".
_PHONE_KEYWORDS = (
    "phone", "ph", "tel", "telephone", "mobile", "mob", "cell", "cellphone", "fax", "call", "called",
    "calling", "callback", "contact", "reach", "reached", "text", "sms", "otp", "whatsapp", "landline",
    "hotline", "helpline", "voicemail", "dial", "dialed", "rang", "ring", "emergency", "son", "daughter",
    "wife", "husband", "spouse", "partner", "mother", "father", "mom", "dad", "brother", "sister",
    "guardian", "caregiver", "neighbor", "neighbour", "home", "work", "office", "pager", "beeper",
    "caller", "msisdn",
    # Other languages of the exports we see (ASCII spellings: the C hint reads ASCII keywords).
    "telefon", "telefono", "telefonnummer", "telefoon", "telefone", "tlf", "tfno", "movil", "mobil",
    "mobiel", "cellulare", "celular", "cellular", "handy", "rufnummer", "bellen", "llamar", "appeler",
    "joignable", "portable", "anrufen", "erreichbar", "chiamare", "richiamare", "contactar", "joindre",
    "vm", "rappeler", "rappel", "llamada", "ligar", "kontakt", "contatto",
)  # fmt: skip
# A number after an NPI keyword that passes the NPI check is that NPI, not also a phone.
_NPI = NpiRecognizer()
# Accented spellings ("Móvil", "Téléphone", "tél.", "Rückruf"): the regex reads them; the hint needs
# no keyword for them, as the C pass keeps every type a candidate for a text with a non-ASCII byte.
_PHONE_WORDS = (*_PHONE_KEYWORDS, "móvil", "teléfono", "telèfon", "téléphone", "tél", "numéro", "rückruf")
# Words that, between a phone keyword and a number, say the number is something else.
_OTHER_NUMBER = (
    r"(?i)\b(?:imei|imsi|iccid|esn|meid|serial|sn|npi|ssn|id|no|nr|number|account|acct|order|invoice|"
    r"ref|reference|ticket|case|mrn|policy|member|card|model|version|pin|code|secu|social|insurance)\b"
)
# Keywords that name a phone and nothing else: a number right after one is a phone even when no
# country tried validates it (fail closed: "tel: 8 873 748 05 46" in a country `phonenumbers` is not
# asked about, a number mistyped by a digit). The others ("home", "son", "contact", "work") also
# precede other numbers, so theirs must validate. Not "cell": "cell count 4500000".
_PHONE_ONLY = (
    r"(?i)^(?:phone|ph|tel|telephone|mobile|mob|cellphone|fax|whatsapp|sms|landline|voicemail|pager|beeper|msisdn|telefon|"
    r"telefono|telefonnummer|telefoon|telefone|tlf|tfno|movil|mobil|mobiel|cellulare|celular|handy|"
    r"rufnummer|móvil|teléfono|telèfon|téléphone|tél)$"
)
# What may stand between a phone keyword and its number (a few words: "call back on", "by phone at",
# "Son ("): no digit or "+" (the number starts there), and no full stop, closing bracket, semicolon or
# line break, so the keyword of one sentence never reaches a number of the next ("(billing
# contact). Quote 2025-..."). Greedy, it stops where the number starts; an opening bracket it takes
# is why the number may start "617) 728-8451".
_GAP = r"[^\d+.;)\n]"
# "number", "no." right after a phone keyword: the phone's ("contact number", "phone no.").
_OWN_NUMBER = r"(?i)^\s*(?:number|num|no|nr)\b\.?"
# A number written as only a phone is: "+", "00", a trunk 0 or a bracket first, or three digit groups.
_PHONE_WRITTEN = r"^[+0(]|^\d+[ .\-/()]+\d+[ .\-/()]+\d"
# NANP's own notations, whatever the digits after a possible area code (2-9 first): "(675)375-6588",
# "1-598-539-1146", "258.497.9384"; "123-926-7027" can be no number, so it stays UNRECOGNISED.
_NANP_WRITTEN = (
    r"^(?:(?:\+?1|001)[ .-]?)?(?:\([2-9]\d{2}\) ?\d{3}[-. ]?\d{4}|[2-9]\d{2}-\d{3}-\d{4}|[2-9]\d{2}\.\d{3}\.\d{4})"
    r"(?:[xX]\d{1,6})?$"
)
# Numbers a notes cell holds alone that are no phone: a compact date (20250718), a dotted build with a
# one-digit group (10.0.22621), an ISBN-13 or EAN (978-4-5008-9364-5), thousands (16 432 974).
_NOT_A_PHONE_ALONE = (
    r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$|^\d+(?:\.\d+)*\.\d(?:\.\d+)*$|"
    r"^\d+\.\d(?:\.|$)|^97[89][- ]?\d|^\d{1,3}(?: \d{3}){2,}$|^\d{1,3}(?:[.,]\d{3}){2,}$"
)
# Thousands groups: an amount ("costs 12.500.000"), not a phone.
_THOUSANDS = r"^\d{1,3}(?:[.,]\d{3}){2,}$"
# A US National Drug Code in one of its dashed labeler-product-package layouts (4-4-2, 5-3-2, 5-4-1,
# 5-4-2): "0378-3952-77" would dial in some country, but no phone is written so.
_NDC = r"^\d{4}-\d{4}-\d{2}$|^\d{5}-\d{3,4}-\d{1,2}$"
_PHONE_NOTATION = (
    # The trunk 8 before a bracketed area code (Russia, Kazakhstan, Belarus): "8 (316) 631-89-16".
    r"\b8[ .-]?\(\d{3,5}\)[ .\-/]?\d{1,5}(?:[ .\-/]?\d{1,5}){0,4}|"
    r"(?:(?:\+\d{1,3}|\b00\d{1,3}|\b1)[ .-]?)?(?:\(\d{1,5}\)[ .\-/]?)?\d{1,5}(?:[ .\-/]?\d{1,5}){0,5}"
)


# A number after a phone keyword and its gap: the gap may take the bracket ("(617) 728-8451", the
# trunk 0 of "(0)20 7946 0958"); a 2-digit area code in brackets (Brazil, India: "(11) 96116-3876");
# a country or area code in the brackets the gap opened ("(351) 969141777", "(+57) 316 397"); digits
# spaced one by one ("2 0 1 5 3 3 5 6 8 8"); an extension glued to it ("758.121.9143x192"), which
# validation strips.
_KEYWORD_NUMBER = (
    rf"(?P<v>(?:\d{{3}}\)\s?\d{{3}}[-. ]\d{{4}}|0\)\s?\d{{1,5}}(?:[ .\-/]?\d{{1,5}}){{1,5}}|"
    rf"\d{{2}}\)\s?\d{{4,5}}[-. ]?\d{{4}}|"
    rf"\+?\d{{1,5}}\)[ .\-/]?\d{{1,5}}(?:[ .\-/]?\d{{1,5}}){{1,5}}|\d(?: \d){{6,14}}|{_PHONE_NOTATION})"
    # Inside the value, so the match ends where it does and its span is found by RE2 (text.py).
    r"(?:[xX]\d{1,6})?)\b"
)


# "cell" names a grid or radio cell, not a phone, after a grid's name ("h3_cell", "s2_cell") or
# before an id ("cell_id", "cell_tower"): headers.SENSITIVE fails such columns closed.
_CELL_ID = r"(?!(?:[a-z0-9]+_)*(?:h3|s2|geo|grid|hex|map|serving|neighbor|neighbour)_cell(?:_[a-z0-9]+)*$|"
_CELL_ID += r"(?:[a-z0-9]+_)*cell_?(?:id|index|token|tower|tower_id)(?:_[a-z0-9]+)*$)"


class PhoneRecognizer(Recognizer):
    id_type = IdType.PHONE
    header = (
        _CELL_ID
        + ANY_PREFIX
        + (
            r"(?:phone|telephone|tel|mobile|cell|cellphone|cell_phone|mobile_phone|fax|msisdn|"
            r"contact_number|phone_number|mobile_number|telephone_number|tel_number|landline|"
            # Other languages (accents folded): "Teléfono", "Móvil", "Téléphone portable", "Handynummer",
            # "Cellulare", "Telefoon", "Telemóvel".
            r"telefono|telefonos|tfno|tlf|movil|celular|telefone|telemovel|"
            r"(?:telephone|tel|numero)_(?:portable|fixe|domicile|mobile|bureau|professionnel)|"
            r"numero_de_telephone|telefon|telefonnummer|festnetz|handy|handynummer|mobil|mobilnummer|"
            r"mobilfunknummer|mobiltelefon|cellulare|numero_di_telefono|recapito_telefonico|telefoon|"
            r"telefoonnummer|mobiel|mobiele_telefoon|gsm|"
            # Call detail records: the parties of a call ("a_party_number", "called_number", "CLI").
            r"[abc]_party(?:_number|_no|_msisdn)?|[ab]_number|[ab]number|other_party(?:_number)?|"
            r"(?:calling|called)_(?:number|party|party_number|msisdn)|caller(?:_number|_msisdn)?|"
            r"callee(?:_number|_msisdn)?|dial(?:l)?ed_number|(?:originating|destination)_number|cli|clip|"
            rf"{native_words.PHONE_HEADERS})"
        )
        + ID_SUFFIX
    )
    by_values = True
    # International (+44 20 7946 0958, 0049 30 ...) and NANP (617.728.8451, (617) 728-8451) notations.
    # `pre`: an IBAN's country, check digits and groups, or a digit group, before the number: the
    # "0044 0532 ..." of "DE89 3704 0044 0532 0130 00" is part of the IBAN, and a "00" group after
    # other digit groups is part of a longer number ("1-617-728-8451" keeps its NANP reading); or an
    # NHS keyword: "NHS no 943 476 5919" is a national id in the phone's 3-3-4 shape.
    text_pattern = (
        r"(?P<pre>\b[A-Z]{2}\d{2}[ -](?:[A-Z0-9]{4}[ -])*|\d[ .-]|"
        r"(?i:\bnhs\b(?:\s*(?:no\.?|number|num|#))?)\s*[:#]?\s*)?"
        r"(?P<v>(?:(?:\+\d{1,3}[ .-]?|\b00[1-9]\d{0,2}[ .-])(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|"
        r"\(\d{3}\)\s?\d{3}[-. ]?\d{4}|\b\d{3}[-. ]\d{3}[-. ]\d{4})"
        # An extension glued to the number ("+90(986)619-1011x9592") is part of it; validation strips it.
        r"(?:[xX]\d{1,6})?)\b"
    )
    text_hint = TextHint(shapes=("phone",))
    context_patterns = (
        *X12_PHONE,
        *PNR_PHONE,
        *RECORD_PHONE,
        # National notations with a trunk 0 (020 7946 0958, 030 12345678, 06 12 34 56 78, (02) 9876 5432):
        # valid in one of phone.NATIONAL_REGIONS by `phonenumbers`, and not shaped like a date.
        TextPattern(
            r"(?P<pre>\d[ .\-/]|\b[A-Z]{4} |(?i:\b(?:licen[cs]e|dl|passport|acct|account|ssn|member|policy|claim|"
            r"order|invoice|ref|reference|id|no|number)\b\.?)\s*[:#]?\s*)?"
            r"(?P<v>(?:\(0\d{1,4}\)[ .\-/]?|\b0\d{1,4}[ .\-/])(?:\d{5,8}|\d{2,5}(?:[ .\-]\d{2,5}){1,4}))\b"
            # More groups after it: part of a longer number ("024-5910016-2247381", an order's).
            r"(?P<post>[-.]\d)?",
            TextHint(shapes=("zero_group",)),
            "validate_national_text",
        ),
        # Any notation, bare digits included, right after a phone keyword (up to three words apart).
        TextPattern(
            rf"(?P<kw>(?i:\b(?:{'|'.join(_PHONE_WORDS)})\b))\.?(?P<gap>{_GAP}{{0,30}}){_KEYWORD_NUMBER}",
            TextHint(keywords=_PHONE_KEYWORDS),
            "validate_context",
        ),
        # "Number" said of one's own ("my number is", "new number", "neue Nr", "nouveau num", "number
        # changed ->"): how chats and notes give a phone. Not "order number": a possessive or "new".
        TextPattern(
            r"(?P<kw>(?i:\b(?:my|new|your|his|her|our|alt|alternate|neue|neuer|meine|nouveau|nouvelle|mon|"
            r"nuevo|mi|nuovo|mio|mijn|nieuwe)\s+(?:number|nummer|numero|numéro|número|num|nr)\b|"
            r"\bnumber\s+(?:changed|updated|is\s+now)\b))"
            rf"\.?(?P<gap>{_GAP}{{0,30}}){_KEYWORD_NUMBER}",
            # ("my phone", "new tel" are the phone keywords' pattern's: one pass less over their texts)
            TextHint(keywords=("num", "nr")),
            "validate_context",
        ),
        # The keyword after the number: "8194941080 is the best number to reach me", "(612)2908965 is
        # my cell". Spaces only between digit groups after the others, so a date before it
        # ("ordered on 2024-09-05 8194941080 is ...") is no part of it.
        TextPattern(
            r"(?P<v>(?:\+\d{1,3}[ .-]?(?:\(\d{2,5}\)\s?)?|\(\d{2,5}\)\s?|\b)\d{2,12}(?:[.\-]\d{2,5}){0,4}(?: \d{2,5}){0,4})"
            r"(?P<gap>\s+(?:is|was|=)\s+(?:(?:the|my|our|his|her|their|a|best|good|new|preferred|primary|cell|"
            r"mobile|home|work|contact|callback)\s+){0,4})(?P<kw>number|phone|cell|mobile)\b",
            TextHint(keywords=("number", "phone", "cell", "mobile")),
            "validate_context",
        ),
        # A Brazilian number with its 2-digit area code in brackets, alone: "(11) 2354-8844", "(21)
        # 98765-4321" (8 digits, or 9 for a mobile starting 9, dashed after 4 or 5), valid for BR.
        TextPattern(
            r"(?P<v>\(\d{2}\)\s?(?:9\d{4}|[2-5]\d{3})-\d{4})\b",
            TextHint(shapes=("phone",)),
            "validate_brazil",
        ),
        # An Indian mobile with its trunk 0 or country code, in 5-5 groups: "081236 02626",
        # "91 98765 43210", valid for IN.
        TextPattern(
            r"\b(?P<v>(?:0|91[ -]?)[6-9]\d{4}[ -]\d{5})\b",
            TextHint(shapes=("phone",)),
            "validate_india",
        ),
        # The value of a phone query parameter in a URL path ("/otp/send?phone=%2B12015498244").
        TextPattern(
            r"[?&;](?i:[a-z_]*(?:phone|mobile|msisdn|tel|cell)[a-z_]*)=(?P<v>(?:%2[Bb]|\+)?[\d.()%\-]{7,30}\d)\b",
            TextHint(keywords=("phone", "mobile", "msisdn", "tel", "cell")),
            "validate_query",
        ),
        # HL7 PID-13 (home phone): "(617)728-8451", "6177288451" or the XTN form "^PRN^PH^^1^617^7288451".
        TextPattern(hl7_pid_field(13, r"[^|\n]*\d[^|\n]*"), HL7_PID_HINT, "validate_hl7_phone"),
        # Round 11: the phone words of other scripts ("тел.", "电话", "携帯", "τηλ", "טלפון", "هاتف",
        # "โทร", "telemóvel"), glued to the number too ("电话13965605865"); a non-ASCII text is always
        # a candidate of the C hint pass, so only the ASCII ones are hinted.
        TextPattern(
            rf"(?P<kw>{native_words.PHONE_WORDS})\.?(?P<gap>[^\dA-Za-z+.;)\n]{{0,30}}){_KEYWORD_NUMBER}",
            TextHint(keywords=("telem", "telefonu", "cep tel")),
            "validate_context",
        ),
        # Notations that say their country without a keyword: Turkey's "0 (538) 801 49 19", Russia's
        # trunk 8 before a mobile "8 919 586 56 76", a Chinese mobile glued to CJK text or after a name
        # on the line above ("联系人 粟莹 13971253259", "李帅\n15974658932"); valid for that country.
        TextPattern(r"\b(?P<v>0 ?\(5\d{2}\) ?\d{3} ?\d{2} ?\d{2})\b", TextHint(), "validate_turkey"),
        TextPattern(r"\b(?P<v>8 9\d{2} \d{3} \d{2} \d{2})\b", TextHint(), "validate_russia"),
        TextPattern(r"(?P<pre>[一-龥][\s：:，,]{0,2})(?P<v>1[3-9]\d{9})\b", TextHint(), "validate_china"),
    )

    # A free-text cell that is nothing but a number of 8-15 digits ("0257884836", "88 31 99 48"): in
    # notes, that is how a phone is left for the reader. Only in free text (notes, comments): a
    # column of references is searched without it.
    whole_cell_pattern = TextPattern(
        r"^\s*(?P<v>(?:\(?\+|\()?\d[\d ().\-/]{6,20}\d(?:[xX]\d{1,6})?)\s*$",
        TextHint(shapes=("digit",)),
        "validate_cell",
    )

    def __init__(self, *, gps_precision: int = 3, free_text: bool = True) -> None:
        """`free_text`: whether a cell holding only a number is read as a phone (notes columns)."""
        super().__init__(gps_precision=gps_precision)
        self.free_text = free_text

    def text_patterns(self) -> tuple[TextPattern, ...]:
        return super().text_patterns() + ((self.whole_cell_pattern,) if self.free_text else ())

    def validate_cell(self, found: pa.StructArray) -> np.ndarray:
        # Notes hold bare references as often (an order, a date, a build, an ISBN, a quantity): the
        # number must read as a phone, not only have a phone's digits. With "+" or "00": possible for
        # its country; else valid in one of the common countries, NANP's by its plan; bare digits
        # only as a trunk 0 and 9-10 more (a 12-digit UPC has one too), NANP's ten or a Chinese mobile.
        value = found.field("v")
        digits = lengths(strip_chars(pc.replace_substring_regex(value, phone.EXTENSION, ""), r"\D"))
        shaped = (digits >= 8) & (digits <= 15) & ~matches(value, phone.NOT_A_PHONE) & ~matches(value, _NDC)
        shaped &= ~matches(value, _NOT_A_PHONE_ALONE)
        plus = shaped & matches(value, r"^\(?\+|^\(?00\d{1,3}[ .\-)]")
        found_phone = validate_where(
            value,
            plus,
            lambda some: phone.possible_international(
                pc.replace_substring_regex(some, r"^\(?(?:\+|00)", "+")
            ),
        )
        bare = shaped & ~plus & matches(value, r"^\d+$")
        national = (shaped & ~plus & ~bare) | (bare & matches(value, r"^0\d{9,10}$|^1[3-9]\d{9}$"))
        found_phone |= validate_where(
            value, national, lambda some: phone.valid_in_regions(some, (*phone.NATIONAL_REGIONS, "CN"))
        )
        nanp = shaped & ~found_phone & ~plus & ~matches(value, r"^0")  # "00" bare is no call prefix here
        return found_phone | validate_where(
            value, nanp, lambda some: phone.valid_phones(some, national_formats=False)
        )

    def validate(self, values: pa.Array) -> np.ndarray:
        # In a phone column a number that is possible by its numbering plan counts, even when
        # `phonenumbers` does not know it as assigned; a national number of the countries of
        # phone.COLUMN_REGIONS too ("8 919 586 56 76", "0501009336", "13974922453").
        return phone.valid_in_column(values)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # Bare 10-digit strings may be any number; formatted ones are checked by phonenumbers itself.
        index = np.flatnonzero(self._formatted(values))
        out = np.zeros(len(values), dtype=bool)
        out[index] = phone.phonenumbers_valid(values.take(pa.array(index)).to_pylist())
        # A national notation of the countries a phone column tries ("8 919 586 56 76", "0 (538) ...").
        return out | phone.national_in_column(values, self._formatted(values) & ~out)

    def evidence_ceiling(self, values: pa.Array) -> float:
        # A bound read on the bytes (PHONE_SHAPE's first character and length); the two regexes of the
        # exact share only when it leaves the type a chance (classification asks for 0.8 and up).
        shaped = share_starting_with(values, b"+0123456789 \t\n\v\f\r().-/", min_bytes=6, max_bytes=26)
        if shaped < 0.5:
            return shaped
        return float(np.mean(self._formatted(values))) if len(values) else 0.0

    @staticmethod
    def _formatted(values: pa.Array) -> np.ndarray:
        return matches(values, r"^\+|[\s().-]") & matches(values, phone.PHONE_SHAPE)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        valid = phone.valid_phones(value, national_formats=False)
        # Not in an IBAN (a `pre` longer than a digit and a separator), no "00" group after other
        # digit groups, and "00" numbers of 13 digits at most (E.164 allows 15 with the country
        # code, but none of the countries tried more than 13): "0063 3559 1646 0923" is a reference.
        suspect = valid & (context_group(found, "pre") | starting_with(value, b"0"))
        if suspect.any():
            index = np.flatnonzero(suspect)
            some, before = value.take(pa.array(index)), found.field("pre").take(pa.array(index))
            length = pc.fill_null(pc.utf8_length(before), 0).to_numpy(zero_copy_only=False)
            zero = starting_with(some, b"0")
            too_long = zero & ((lengths(strip_chars(some, r"\D")) > 15) | matches(some, phone.NOT_A_PHONE))
            valid[index] = (length <= 2) & ~(zero & (length > 0)) & ~too_long
        # Written with "+" and a country code, or in NANP's 3-3-4 notation, alone in its place, it
        # is a phone even when no plan has assigned it ("+1 (922) 792-3028", "(087)375-6588"): fail
        # closed on what nothing but a phone is written as.
        valid &= ~matches(value, _NDC)  # "00534-3865-74" dials as +53, but is a drug code
        alone = ~valid & ~context_group(found, "pre")
        valid |= validate_where(value, alone, phone.possible_international)
        return valid | (alone & matches(value, _NANP_WRITTEN) & ~matches(value, phone.NOT_A_PHONE))

    def validate_national_text(self, found: pa.StructArray) -> np.ndarray:
        # Not a group inside a longer run of groups (a card number, an IBAN's "GB29 NWBK 6016 ...") nor
        # another identifier's number ("driver's license 078 107 860"): `pre` holds what precedes it.
        # `phonenumbers` (per distinct value) only for what passes the cheap checks.
        value = found.field("v")
        digits = lengths(strip_chars(value, r"\D"))
        alone = ~context_group(found, "pre") & ~context_group(found, "post") & (digits >= 9)
        shaped = validate_where(
            value, alone, lambda some: ~matches(some, phone.NOT_A_PHONE) & ~matches(some, _NDC)
        )
        return validate_where(value, shaped, phone.valid_phones)

    def validate_brazil(self, found: pa.StructArray) -> np.ndarray:
        return phone.valid_in_regions(found.field("v"), ("BR",))

    def validate_india(self, found: pa.StructArray) -> np.ndarray:
        return phone.valid_in_regions(found.field("v"), ("IN",))

    def validate_turkey(self, found: pa.StructArray) -> np.ndarray:
        return phone.valid_in_regions(found.field("v"), ("TR",))

    def validate_russia(self, found: pa.StructArray) -> np.ndarray:
        return phone.valid_in_regions(found.field("v"), ("RU",))

    def validate_china(self, found: pa.StructArray) -> np.ndarray:
        return phone.valid_in_regions(found.field("v"), ("CN",))

    def validate_query(self, found: pa.StructArray) -> np.ndarray:
        value = url_decoded(found.field("v"))
        # The parameter names a phone: a value of a phone's length is one, valid or not (fail closed).
        digits = lengths(strip_chars(value, r"\D"))
        return (digits >= 7) & (digits <= 15)

    def validate_hl7_phone(self, found: pa.StructArray) -> np.ndarray:
        # The XTN components (use, type, e-mail, country, area, local) joined are the number.
        digits = strip_chars(pc.replace_substring_regex(found.field("v"), r"\^[A-Za-z]+", ""), r"[^\d+]")
        return phone.valid_phones(digits, possible=True) & hl7_token_free(found.field("v"))

    def validate_context(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        # An extension ("001-919-858-4525x29557") is no digit of the number.
        digits = lengths(strip_chars(pc.replace_substring_regex(value, phone.EXTENSION, ""), r"\D"))
        sized = (digits >= 7) & (digits <= 15)
        shaped = validate_where(value, sized, lambda some: ~matches(some, phone.NOT_A_PHONE))
        valid = validate_where(value, shaped, phone.valid_phones)
        # A keyword also lets a national number without trunk 0 count ("mobile 98765 43210").
        other_country = shaped & ~valid & ~matches(value, phone.NANP_NOTATION)
        found_phone = valid | validate_where(value, other_country, phone.valid_in_regions)
        # E.164 written without its "+" ("whatsapp 447700900123"): 11-13 bare digits read with it (15,
        # an IMEI's length, are left to it).
        e164 = ~found_phone & shaped & matches(value, r"^[1-9]\d{10,12}$")
        found_phone |= validate_where(
            value, e164, lambda some: phone.valid_phones(pc.binary_join_element_wise("+", some, ""))
        )
        # A country code in brackets ("(351) 969141777", "(+57) 316 397 57 21"): read as "+351 ...".
        bracketed = shaped & ~found_phone & matches(value, r"^\+?[1-9]\d{0,2}\)")
        found_phone |= validate_where(
            value,
            bracketed,
            lambda some: phone.valid_phones(pc.replace_substring_regex(some, r"^\+?(\d+)\)", r"+\1 ")),
        )
        if found.type.get_field_index("kw") < 0:
            return found_phone
        keyword, gap = found.field("kw"), found.field("gap")
        # After a keyword that names only a phone, its shape is enough (not a date, an NDC, an id's
        # groups): the number of a country not tried, or one no country has assigned yet. Unless a
        # nearer word names another number ("phone's IMEI is ...", "phone order 0000 ..."); the
        # "number" of "contact number", "phone no." is the phone's own.
        own_number = pc.replace_substring_regex(gap, _OWN_NUMBER, "")
        left = shaped & ~found_phone & ~matches(own_number, _OTHER_NUMBER) & ~matches(value, _NDC)
        named = matches(keyword, _PHONE_ONLY) | matches(keyword, native_words.PHONE_ONLY)
        found_phone |= left & named & ~matches(value, r"^\d{15}$")
        # After the other keywords ("reach me on", "callback requested at"), 8 digits or more written
        # as a phone is (a "+", "00", trunk 0 or bracket first, or three digit groups) fail closed too.
        # Not after "cell" alone: "handover to cell 428-24-77458-507" is a radio cell's id.
        written = (
            matches(value, _PHONE_WRITTEN) & ~matches(value, _THOUSANDS) & ~matches(keyword, r"(?i)^cell$")
        )
        found_phone |= left & (digits >= 8) & written
        # After the other keywords ("call back on", "erreichbar unter"), a number any country of
        # KEYWORD_REGIONS validates ("numéro" alone numbers other ids too, so not after it).
        wide = left & ~found_phone & other_country & ~matches(keyword, r"(?i)^num[ée]ro$")
        found_phone |= validate_where(
            value, wide, lambda some: phone.valid_in_regions(some, phone.KEYWORD_REGIONS)
        )
        # "called prescriber, NPI 1245319599": the nearer keyword names an NPI, and the number is one.
        after_npi = matches(gap, r"(?i)\bnpi\b\W*$")
        found_phone &= ~matches(gap, native_words.OTHER_NUMBER)  # "手機 發票號碼 ...": an invoice
        found_phone &= named | ~matches(value, _THOUSANDS)  # "call center costs 12.500.000"
        return found_phone & ~validate_where(value, found_phone & after_npi, _NPI.validate)
