"""National identifiers of countries other than the US (NATIONAL_ID), each with its official check
(foreign_id_checks.py: NHS, NINO, SIN, NIR, DNI/NIE, codice fiscale, BSN, Steuer-ID, Aadhaar, PAN,
CPF, TFN, personnummer, Belgian national number...).

Most of these are 9 to 12 bare digits, which order numbers and phone numbers also are: in free text
a value counts only right after its own keyword ("NHS no", "SIN", "NIR", "BSN"...) and is checked
by that country's rule. Only forms that delimit themselves and carry a strong check count alone:
the codice fiscale (16 letters and digits in a fixed layout) and the compact NINO (AB123456C).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from compliance.detection.arrays import lengths, matches, share_starting_with, strip_chars
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import DIGITS, LETTERS, Recognizer, TextPattern
from compliance.detection.recognizers.foreign_id_checks import OMOCODE, valid_formats
from compliance.detection.recognizers.native_words import NATIONAL_ID_HEADERS, NATIONAL_ID_PATTERNS
from compliance.detection.recognizers.segments import RECORD_NATIONAL_ID
from compliance.vocabulary import IdType


def _keyword_form(keyword: str, value: str) -> str:
    """A value right after its keyword ("NHS no: 943 476 5919", "BSN 111222333", "NIR : 2 95 ..."),
    perhaps with "number"/"no"/"is" between them, or another language's "is" ("mi DNI es ...",
    "mon NIR est ...", "é o"); the keyword is context, kept when scrubbed."""
    return (
        rf"(?i:{keyword})[^\w\n]{{0,4}}"
        r"(?:(?i:is|was|of|on\s+file|number|num|no|nr|nummer|numero|card|n|es|est|ist|era|war|[eé]|è|o)"
        r"[^\w\n]{1,4}){0,2}"
        rf"(?P<v>{value})\b"
    )


_V_NHS = r"\d{3}[ -]?\d{3}[ -]?\d{4}"
_V_NINO = r"[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]"
_V_NINE = r"\d{3}[ -]?\d{3}[ -]?\d{3}"
_V_NIR = r"[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}"
_V_DNI = r"(?:\d{8}|[XYZxyz][ -]?\d{7})[ -]?[A-Za-z]"
_OMO = "[0-9LMNPQRSTUVlmnpqrstuv]"
_V_CF = rf"[A-Za-z]{{6}}{_OMO}{{2}}[A-Za-z]{_OMO}{{2}}[A-Za-z]{_OMO}{{3}}[A-Za-z]"
_V_BSN = r"\d{4}\.\d{2}\.\d{3}|\d{3}[ .-]?\d{3}[ .-]?\d{3}"
_V_STEUER = r"\d{2} ?\d{3} ?\d{3} ?\d{3}"
_V_AADHAAR = r"[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}"
_V_CPF = r"\d{3}\.?\d{3}\.?\d{3}[-.]?\d{2}"
_V_TFN = r"\d{3}[ -]?\d{3}[ -]?\d{2,3}"
_V_PERSONNUMMER = r"(?:19|20)?\d{6}[-+]?\d{4}"
_V_PAN = r"[A-Za-z]{3}[ABCFGHJLPTabcfghjlpt][A-Za-z]\d{4}[A-Za-z]"
_V_BELGIAN = r"\d{2}\.?\d{2}\.?\d{2}[-. ]?\d{3}\.?\d{2}"
# After a generic keyword ("national ID"), any country's shape; longer shapes first.
_V_LONGER = (_V_CF, _V_NIR, _V_AADHAAR, _V_PERSONNUMMER, _V_CPF, _V_BELGIAN, _V_STEUER)
_V_ANY = "|".join((*_V_LONGER, _V_NHS, _V_DNI, _V_NINO, _V_NINE, _V_TFN))


# Words that name a person's national number, generic or a country's own.
_ID_WORDS = (
    r"(?P<kw>\b(?:national\s+id(?:entity|entifier|entification)?|citizen\s+id|personal\s+id(?:entity|entification)?|"
    r"identity\s+(?:card\s+)?(?:number|no\b\.?)|id\s+card|resident\s+id|social\s+security|"
    r"seguridad\s+social|sozialversicherung(?:snummer)?|pesel|egn|oib|"
    r"jmbg|em[sš]o|cnp|amka|hetu|henkil[oö]tunnus|personas\s+kods|asmens\s+kodas|isikukood|"
    r"rodn[eé]\s+[cč][ií]slo|kimlik|tckn|cpr|f[oø]dselsnummer|curp|nric|hkid|mykad|"
    # A person's tax number where no country rule applies: a UK UTR after "tax ref".
    r"tax\s+(?:ref(?:erence)?|id|identification\s+number)|utr|tin)\b\.?)"
)
_ID_HINT_WORDS = (
    "national id", "citizen id", "personal id", "identity", "id card", "resident id", "social security",
    "seguridad", "sozialversicherung", "pesel", "jmbg", "amka", "hetu", "henkil",
    "personas kods", "asmens kodas", "isikukood", "rodn", "kimlik", "tckn", "curp", "nric", "hkid",
    "mykad", "emso", "tax ref", "tax id", "tax identification",
)  # fmt: skip
_ID_WHOLE_WORDS = ("egn", "oib", "cnp", "cpr", "utr", "tin")
# A US SSN's shape after "social security": the SSN recognizer decides those, by the SSA's rules
# (numbers it never issues, "666-12-3456", are test and placeholder values, not a person's).
_US_SSN_SHAPE = r"^\d{3}[- ]?\d{2}[- ]?\d{4}$"
# "000-00-0000", "999999999": a placeholder for a number not on file, not a person's.
_ONE_DIGIT_REPEATED = r"^(?:0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$"
_DATE_SHAPE = r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})$"


class NationalIdRecognizer(Recognizer):
    id_type = IdType.NATIONAL_ID
    # "cf" alone names too many other things (cash flow, carry forward): such a column is typed by
    # its values. "tax_id", "tin" and "nin" stay SENSITIVE (headers.py): US EINs and ITINs use them.
    header = (
        ANY_PREFIX + r"(?:nhs|nhs_number|nino|ni_number|ni_no|national_insurance|national_insurance_number|"
        r"sin|social_insurance|social_insurance_number|nir|insee|numero_securite_sociale|"
        r"num_secu|securite_sociale|no_secu|dni|nie|nif|codice_fiscale|cod_fiscale|bsn|"
        r"burgerservicenummer|sofinummer|steuer_id|steuerid|steuer_idnr|steueridnr|"
        r"steuer_identifikationsnummer|steuerliche_identifikationsnummer|idnr|aadhaar|aadhar|cpf|"
        # A person's tax reference (UK UTR, India's PAN, Australia's TFN): what validates is typed, the
        # rest fails closed; "tax_id" and "tin" stay SENSITIVE (headers.py).
        r"tax_ref|tax_reference|tax_ref_number|utr|unique_taxpayer_reference|personal_tax_ref|"
        r"tfn|tax_file_number|personnummer|personnr|samordningsnummer|rijksregisternummer|"
        r"national_register_number|niss|insz|national_id|national_identifier|national_identity|"
        r"national_identification|citizen_id|citizen_number|"
        # The same in other word orders and languages: "id_national", "identifiant_national",
        # "numero_national" (Belgium), "documento_nacional_identidad", "id_nazionale", "nationale_id",
        # "Personalausweisnummer", "identiteitsnummer", "carta_identita", "cedula".
        r"(?:id|ident|identifiant|identificacion|identification|identificativo|identidad|identita|identite|"
        r"numero|num|no|n|nr|nro|nummer|code|codigo|codice|documento)"
        r"(?:_(?:de|di|d|du|del|der|van))?_(?:national|nationale|nacional|nazionale|nationaal)|"
        r"(?:nationale|nationaal|nacional|nazionale|national)_(?:id|ident|identifiant|identificatie|"
        r"identificacion|identificazione|identiteit|nummer|numero)|"
        r"documento_nacional(?:_de)?_identidad|documento_(?:de_)?identidad|numero_(?:de_)?identidad|"
        r"cedula(?:_de)?(?:_identidad)?|carte_(?:nationale_)?d?_?identite|numero_(?:carte_)?d?_?identite|"
        r"carta_(?:d_)?identita|numero_carta_(?:d_)?identita|personalausweis(?:nummer|_nummer|_nr|nr)?|"
        r"ausweis(?:nummer|_nummer|_nr|nr)|identiteitsnummer|identiteitskaart(?:nummer)?|"
        # Social-security numbers of other countries: "Nº Seguridad Social" (NUSS/NAF), the German
        # Sozialversicherungsnummer.
        r"seguridad_social|nuss|naf|numero_afiliacion|n_afiliacion|sozialversicherungsnummer|svnr|"
        r"sv_nummer|rentenversicherungsnummer|"
        # Round 11: Korea, Japan, China, Taiwan, Russia, Turkey, Mexico, Portugal..., and the words of
        # other scripts (native_words.py).
        r"resident_registration_number|my_number|mynumber|kojin_bango|shenfenzheng|snils|rnokpp|"
        r"(?:inn|egn|afm|rfc)_(?:number|no|nr|num)|teudat_zehut|code_meli|kod_meli|amka|tc_kimlik|tckn|kimlik_no|curp|"
        rf"nif_pt|numero_contribuinte|contribuinte|{NATIONAL_ID_HEADERS})" + ID_SUFFIX
    )
    by_values = True
    # The codice fiscale delimits itself and has a check letter; the compact NINO is two letters,
    # six digits and a letter A-D. The digits of both guarantee the caps_digits shape (hints.py).
    text_pattern = rf"\b(?P<v>[A-Z]{{6}}\d{{2}}[ABCDEHLMPRST]{OMOCODE}{{2}}[A-Z]{OMOCODE}{{3}}[A-Z])\b"
    text_hint = TextHint(shapes=("caps_digits",))
    context_patterns = (
        *RECORD_NATIONAL_ID,
        TextPattern(
            r"\b(?P<v>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D])\b",
            TextHint(shapes=("caps_digits",)),
            "validate_nino",
        ),
        TextPattern(
            _keyword_form(r"\bNHS(?:\s*(?:number|num|no\b\.?|#))?", _V_NHS),
            TextHint(keywords=("nhs",)),
            "validate_nhs",
        ),
        TextPattern(
            _keyword_form(
                r"\b(?:NINO|NI\s*(?:number|num|no\b\.?|#)|national\s+insurance(?:\s*(?:number|num|no\b\.?|#))?)",
                _V_NINO,
            ),
            TextHint(keywords=("national insurance",), whole_words=("nino", "ni")),
            "validate_nino",
        ),
        TextPattern(
            _keyword_form(r"\b(?:SIN\b|social\s+insurance(?:\s*(?:number|num|no\b\.?|#))?)", _V_NINE),
            TextHint(keywords=("social insurance",), whole_words=("sin",)),
            "validate_sin",
        ),
        TextPattern(
            # "sécu": the spoken short form ("mon numéro de sécu 1 61 07 ...").
            _keyword_form(
                r"(?:\bNIR\b|\bINSEE\b|s[éÉe]curit[éÉe]\s+sociale|\bs[éÉe]cu\b|\bcarte\s+vitale)", _V_NIR
            ),
            TextHint(keywords=("nir", "insee", "sociale", "secu", "vitale")),
            "validate_nir",
        ),
        TextPattern(
            _keyword_form(r"\b(?:DNI|NIE|NIF|D\.N\.I|N\.I\.E|N\.I\.F)\b\.?", _V_DNI),
            TextHint(keywords=("dni", "nie", "nif", "d.n.i", "n.i.e", "n.i.f")),
            "validate_dni",
        ),
        TextPattern(
            _keyword_form(r"\b(?:codice\s+fiscale|cod\.?\s*fisc(?:ale)?|C\.?F)\b\.?", _V_CF),
            TextHint(keywords=("codice", "cod", "cf", "c.f")),
            "validate_codice_fiscale",
        ),
        TextPattern(
            _keyword_form(r"\b(?:BSN|burgerservicenummer|sofi(?:nummer|nr)?)\b\.?", _V_BSN),
            TextHint(keywords=("bsn", "burgerservice", "sofi")),
            "validate_bsn",
        ),
        TextPattern(
            _keyword_form(
                r"\b(?:steuer[- ]?id(?:entifikationsnummer|nr)?|steuerliche\s+identifikationsnummer|"
                r"identifikationsnummer|IdNr)\b\.?",
                _V_STEUER,
            ),
            TextHint(keywords=("steuer", "idnr", "identifikationsnummer")),
            "validate_steuer_id",
        ),
        TextPattern(
            _keyword_form(r"\b(?:aadhaa?r|adhaar|UIDAI)(?:\s*(?:card|number|num|no\b\.?|#))?", _V_AADHAAR),
            TextHint(keywords=("aadha", "adhaar", "uidai")),
            "validate_aadhaar",
        ),
        TextPattern(
            _keyword_form(r"\b(?:PAN\b|permanent\s+account\s+(?:number|num|no\b\.?))(?:\s*card)?", _V_PAN),
            TextHint(keywords=("permanent account",), whole_words=("pan",)),
            "validate_indian_pan",
        ),
        TextPattern(_keyword_form(r"\bCPF\b\.?", _V_CPF), TextHint(whole_words=("cpf",)), "validate_cpf"),
        TextPattern(
            _keyword_form(r"\b(?:TFN\b|tax\s+file\s+(?:number|num|no\b\.?|#))", _V_TFN),
            TextHint(keywords=("tax file",), whole_words=("tfn",)),
            "validate_tfn",
        ),
        TextPattern(
            _keyword_form(r"\b(?:personnummer|personnr|samordningsnummer|PNR)\b\.?", _V_PERSONNUMMER),
            TextHint(keywords=("personn", "samordning", "pnr")),
            "validate_personnummer",
        ),
        TextPattern(
            _keyword_form(
                r"\b(?:rijksregisternummer|rijksregister|registre\s+national|national\s+regist(?:er|ry)|NISS|INSZ)\b\.?",
                _V_BELGIAN,
            ),
            TextHint(keywords=("rijksregister", "registre national", "national regist", "niss", "insz")),
            "validate_belgian",
        ),
        TextPattern(
            _keyword_form(
                r"\b(?:national\s+id(?:entity|entifier|entification)?|citizen\s+id)"
                r"(?:\s*(?:card|number|num|no\b\.?|#))?",
                rf"(?:{_V_ANY})",
            ),
            TextHint(keywords=("national id", "citizen id")),
        ),
        # Fail closed: after a word that names a person's national number (generic, or a country's
        # own: PESEL, EGN, OIB, AMKA, HETU, CNP, CURP, NRIC...), a number no country's rule above
        # validates is still that number, whatever the country: "national id 511000198812019098",
        # "personas kods 151029-11203".
        TextPattern(
            _keyword_form(
                _ID_WORDS, r"[A-Z]{0,3} ?\d[\dA-Z]{0,19}(?:[ ./-][A-Z]?\d[\dA-Z]{0,7}){0,7}(?: [A-Z])?"
            ),
            TextHint(keywords=_ID_HINT_WORDS, whole_words=_ID_WHOLE_WORDS),
            "validate_named_number",
        ),
        # "SSN" in a form used for any country's number ("ID/SSN on file: 19080261738"): a number
        # that cannot be a US SSN by its shape (more digits, or letters) is that person's national
        # number. The US shape stays the SSN rules' own, so SSN-heavy notes do not match this at all.
        TextPattern(
            _keyword_form(
                r"(?P<kw>\b(?:SSN|ssn|Ssn)\b\.?)",
                r"\d{10,20}|\d{6,8}[A-Za-z]|[A-Za-z]{1,3} ?\d{6,18}[A-Za-z]?",
            ),
            TextHint(whole_words=("ssn",)),
            "validate_named_number",
        ),
        # Round 11: the words of other scripts and countries (native_words.py).
        *NATIONAL_ID_PATTERNS,
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        return valid_formats(values)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # Nine or ten bare digits (NHS, SIN, BSN, TFN) may be anything: only distinctive shapes count.
        return valid_formats(values, evidence=True)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, DIGITS + LETTERS, min_bytes=9, max_bytes=24)

    def _one(self, found: pa.StructArray, *names: str) -> np.ndarray:
        return valid_formats(found.field("v"), names)

    def validate_named_number(self, found: pa.StructArray) -> np.ndarray:
        # Six digits or more (the shortest national numbers), not a date, not what SSN decides.
        value = found.field("v")
        digits = lengths(strip_chars(value, r"\D"))
        return (
            (digits >= 6)
            & (digits <= 20)
            & ~matches(value, _DATE_SHAPE)
            & ~(matches(value, _US_SSN_SHAPE) & matches(found.field("kw"), r"(?i)^social"))
            & ~matches(strip_chars(value, r"\D"), _ONE_DIGIT_REPEATED)
        )

    def validate_tc_kimlik(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "turkish_tc_kimlik")

    def validate_curp(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "mexican_curp")

    def validate_rfc(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "mexican_rfc")

    def validate_nhs(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "nhs")

    def validate_nino(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "nino")

    def validate_sin(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "sin")

    def validate_nir(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "nir")

    def validate_dni(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "dni")

    def validate_codice_fiscale(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "codice_fiscale")

    def validate_bsn(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "bsn")

    def validate_steuer_id(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "steuer_id")

    def validate_aadhaar(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "aadhaar")

    def validate_indian_pan(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "indian_pan")

    def validate_cpf(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "cpf")

    def validate_tfn(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "tfn", "tfn_short")

    def validate_personnummer(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "personnummer")

    def validate_belgian(self, found: pa.StructArray) -> np.ndarray:
        return self._one(found, "belgian")
