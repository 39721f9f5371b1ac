"""National identifiers of countries other than the US (NATIONAL_ID), each with its official check.

UK NHS number (mod 11) and National Insurance number (prefix rules), Canadian SIN (Luhn), French NIR
(13 digits + key 97 - n mod 97, Corsica 2A/2B), Spanish DNI/NIE (mod 23 letter), Italian codice
fiscale (check letter), Dutch BSN (11-proef), German Steuer-ID (ISO 7064 MOD 11,10 and its digit
rule), Indian Aadhaar (Verhoeff), Brazilian CPF (two mod-11 digits), Australian TFN (weighted mod
11), Swedish personnummer (date + Luhn), Belgian national number (mod 97).

Most of these are 9 to 12 bare digits, which order numbers and phone numbers also are: in free text
a value counts only right after its own keyword ("NHS no", "SIN", "NIR", "BSN"...) and is checked
by that country's rule. Only forms that delimit themselves and carry a strong check count alone:
the codice fiscale (16 letters and digits in a fixed layout) and the compact NINO (AB123456C).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    as_int,
    iso7064_mod11_10_valid,
    lengths,
    luhn_valid,
    matches,
    right_aligned_codes,
    share_starting_with,
    strip_chars,
    verhoeff_valid,
    weighted_sum,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import DIGITS, LETTERS, Recognizer, TextPattern
from compliance.vocabulary import IdType


def _digits(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int16) - ord("0")


def _not_repeated(digits: np.ndarray) -> np.ndarray:
    """Rows that are not one digit repeated (000000000 passes most weighted checks)."""
    return (digits != digits[:, :1]).any(axis=1)


def _nhs(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    check = (11 - weighted_sum(digits[:, :9], (10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11) % 11
    return (check != 10) & (check == digits[:, 9]) & _not_repeated(digits)


# Prefixes HMRC never allocates (the letter rules are in the shape).
_NINO_BAD_PREFIXES = np.array(
    [ord(p[0]) * 256 + ord(p[1]) for p in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")]
)


def _nino(codes: np.ndarray) -> np.ndarray:
    prefix = codes[:, 0].astype(np.int64) * 256 + codes[:, 1]
    return ~np.isin(prefix, _NINO_BAD_PREFIXES)


def _sin(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    # A first digit 8 is a business number, not a person's.
    return luhn_valid(digits) & (digits[:, 0] != 8) & _not_repeated(digits)


def _nir(codes: np.ndarray) -> np.ndarray:
    codes = codes.copy()
    corsica = codes[:, 5] == ord("2")
    for letter, department in ((b"A", b"19"), (b"B", b"18")):  # 2A/2B count as 19/18 in the key
        where = corsica & (codes[:, 6] == letter[0])
        codes[where, 5], codes[where, 6] = department[0], department[1]
    digits = _digits(codes)
    key = digits[:, 13] * 10 + digits[:, 14]
    return 97 - as_int(digits[:, :13]) % 97 == key


_DNI_LETTERS = np.frombuffer(b"TRWAGMYFPDXBNJZSQVHLCKE", dtype=np.uint8)


def _dni(codes: np.ndarray) -> np.ndarray:
    codes = codes.copy()
    for letter, digit in ((b"X", b"0"), (b"Y", b"1"), (b"Z", b"2")):  # NIE: X/Y/Z read as 0/1/2
        codes[codes[:, 0] == letter[0], 0] = digit[0]
    return _DNI_LETTERS[as_int(_digits(codes[:, :8])) % 23] == codes[:, 8]


# Codice fiscale: the value of a character at an odd (1st, 3rd...) position; digits count as A..J.
_CF_ODD = np.array(
    [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
    dtype=np.int16,
)


def _codice_fiscale(codes: np.ndarray) -> np.ndarray:
    body = codes[:, :15].astype(np.int16)
    value = np.where(body >= ord("A"), body - ord("A"), body - ord("0"))
    total = _CF_ODD[value[:, 0::2]].sum(axis=1) + value[:, 1::2].sum(axis=1)
    return total % 26 == codes[:, 15].astype(np.int16) - ord("A")


def _bsn(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    return (weighted_sum(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1)) % 11 == 0) & digits.any(axis=1)


def _steuer_id(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    head = digits[:, :10]
    counts = (head[:, :, None] == np.arange(10)).sum(axis=1)
    # Of the first ten digits exactly one occurs twice or three times, never three in a row.
    repeated = ((counts > 1).sum(axis=1) == 1) & (counts.max(axis=1) <= 3)
    triple = ((head[:, :-2] == head[:, 1:-1]) & (head[:, 1:-1] == head[:, 2:])).any(axis=1)
    return (digits[:, 0] != 0) & repeated & ~triple & iso7064_mod11_10_valid(digits)


def _aadhaar(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    palindrome = (digits == digits[:, ::-1]).all(axis=1)
    return (digits[:, 0] >= 2) & verhoeff_valid(digits) & ~palindrome


def _cpf(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    first = weighted_sum(digits[:, :9], tuple(range(10, 1, -1))) * 10 % 11 % 10
    second = weighted_sum(digits[:, :10], tuple(range(11, 1, -1))) * 10 % 11 % 10
    return (first == digits[:, 9]) & (second == digits[:, 10]) & _not_repeated(digits)


def _tfn(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    return (weighted_sum(digits, (1, 4, 3, 7, 5, 8, 6, 9, 10)) % 11 == 0) & digits.any(axis=1)


def _tfn_short(codes: np.ndarray) -> np.ndarray:  # the older 8-digit TFN
    digits = _digits(codes)
    return (weighted_sum(digits, (10, 7, 8, 4, 6, 3, 5, 1)) % 11 == 0) & digits.any(axis=1)


def _personnummer(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)  # YYMMDDNNNC: the last ten digits (a 12-digit form has the century first)
    month, day = digits[:, 2] * 10 + digits[:, 3], digits[:, 4] * 10 + digits[:, 5]
    # Day + 60: a coordination number (samordningsnummer), same check.
    day_ok = ((day >= 1) & (day <= 31)) | ((day >= 61) & (day <= 91))
    return (month >= 1) & (month <= 12) & day_ok & luhn_valid(digits)


def _belgian(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    body, key = as_int(digits[:, :9]), digits[:, 9] * 10 + digits[:, 10]
    month = digits[:, 2] * 10 + digits[:, 3]  # + 20 or + 40: a "bis" number of a foreign resident
    month_ok = (month % 20 <= 12) & (month <= 52)
    # Born from 2000 on, the key is computed over 2 followed by the nine digits.
    return month_ok & ((97 - body % 97 == key) | (97 - (2_000_000_000 + body) % 97 == key))


def _spanish_nss(codes: np.ndarray) -> np.ndarray:
    """The Spanish social-security number (NUSS/NAF): province, eight digits, and the remainder mod
    97 of the province followed by the number (without its leading zero when under 10^7)."""
    digits = _digits(codes)
    province, number = as_int(digits[:, :2]), as_int(digits[:, 2:10])
    body = np.where(number < 10_000_000, province * 10_000_000, province * 100_000_000) + number
    return (body % 97 == as_int(digits[:, 10:])) & (province >= 1) & _not_repeated(digits)


def _indian_pan(codes: np.ndarray) -> np.ndarray:
    """India's PAN has no check character: its shape (the fourth letter the holder's kind) is all."""
    return np.ones(len(codes), dtype=bool)


def _medicare_au(codes: np.ndarray) -> np.ndarray:
    """An Australian Medicare card number: eight digits weighted 1,3,7,9,1,3,7,9, their sum mod 10 the
    ninth, then the issue number (and the person's position on the card, perhaps)."""
    digits = _digits(codes)  # width 11: a 10-digit number has a padding 0 first
    padded = (digits[:, 0] == 0)[:, None]
    body = np.where(padded, digits[:, 1:10], digits[:, 0:9])
    weighted = (body[:, :8] * np.array([1, 3, 7, 9, 1, 3, 7, 9])).sum(axis=1)
    return (weighted % 10 == body[:, 8]) & (body[:, 0] >= 2) & (body[:, 0] <= 6)


@dataclass(frozen=True)
class _Format:
    """One country's identifier: its shape (full match over the upper-cased value), how many
    characters it has without separators, and its check over those characters (an (n, width) byte
    matrix). `evidence`: a shape distinctive enough to type a column with no telling header."""

    shape: str
    sizes: tuple[int, ...]
    width: int
    check: Callable[[np.ndarray], np.ndarray]
    evidence: str | None = None


_OMOCODE = "[0-9LMNPQRSTUV]"  # a digit of a codice fiscale, or the letter standing for it (omocodia)
_CF_SHAPE = rf"[A-Z]{{6}}{_OMOCODE}{{2}}[ABCDEHLMPRST]{_OMOCODE}{{2}}[A-Z]{_OMOCODE}{{3}}[A-Z]"
_NINO_SHAPE = r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
_NIR_SHAPE = r"[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}"
# India's PAN: three letters, the holder's kind (P a person, C a company...), a letter, four digits, a letter.
_PAN_SHAPE = r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]"
_DNI_SHAPE = r"(?:\d{8}|[XYZ][ -]?\d{7})[ -]?[A-Z]"

FORMATS: dict[str, _Format] = {
    "nhs": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$", (10,), 10, _nhs),
    "nino": _Format(f"^{_NINO_SHAPE}$", (9,), 9, _nino, evidence=f"^{_NINO_SHAPE}$"),
    "sin": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{3}$", (9,), 9, _sin),
    "nir": _Format(f"^{_NIR_SHAPE}$", (15,), 15, _nir, evidence=f"^{_NIR_SHAPE}$"),
    "dni": _Format(f"^{_DNI_SHAPE}$", (9,), 9, _dni, evidence=f"^{_DNI_SHAPE}$"),
    "codice_fiscale": _Format(f"^{_CF_SHAPE}$", (16,), 16, _codice_fiscale, evidence=f"^{_CF_SHAPE}$"),
    "bsn": _Format(r"^(?:\d{4}\.?\d{2}\.?\d{3}|\d{3}[ .-]?\d{3}[ .-]?\d{3}|\d{8})$", (8, 9), 9, _bsn),
    "steuer_id": _Format(
        r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$", (11,), 11, _steuer_id, evidence=r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$"
    ),
    "aadhaar": _Format(
        r"^[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}$", (12,), 12, _aadhaar, evidence=r"^[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}$"
    ),
    "cpf": _Format(
        r"^\d{3}\.?\d{3}\.?\d{3}[-.]?\d{2}$", (11,), 11, _cpf, evidence=r"^\d{3}\.\d{3}\.\d{3}-\d{2}$"
    ),
    "tfn": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{3}$", (9,), 9, _tfn),
    "tfn_short": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{2}$", (8,), 8, _tfn_short),
    "personnummer": _Format(
        r"^(?:1[89]|20)?\d{6}[-+]?\d{4}$",
        (10, 12),
        10,
        _personnummer,
        evidence=r"^(?:1[89]|20)?\d{6}[-+]\d{4}$",
    ),
    "indian_pan": _Format(rf"^{_PAN_SHAPE}$", (10,), 10, _indian_pan, evidence=rf"^{_PAN_SHAPE}$"),
    "medicare_au": _Format(r"^[2-6]\d{3} ?\d{5} ?\d(?:[ /-]?\d)?$", (10, 11), 11, _medicare_au),
    "spanish_nss": _Format(r"^\d{2}[ /-]?\d{8}[ /-]?\d{2}$", (12,), 12, _spanish_nss),
    "belgian": _Format(
        r"^\d{2}\.?\d{2}\.?\d{2}[-. ]?\d{3}\.?\d{2}$",
        (11,),
        11,
        _belgian,
        evidence=r"^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$",
    ),
}
_EVERY_FORMAT = tuple(FORMATS)
_SEPARATORS = r"[ .+/-]"


def valid_formats(
    values: pa.Array, names: tuple[str, ...] = _EVERY_FORMAT, *, evidence: bool = False
) -> np.ndarray:
    """Which values are a valid identifier of one of the formats `names` (with `evidence`: in a
    shape that marks the type on its own). Each format sees only the values of its length."""
    out = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return out
    upper = pc.ascii_upper(values)
    compact = strip_chars(upper, _SEPARATORS)
    size = lengths(compact)
    for name in names:
        form = FORMATS[name]
        shape = form.evidence if evidence else form.shape
        if shape is None:
            continue
        index = np.flatnonzero(np.isin(size, form.sizes) & ~out)
        if index.size == 0:
            continue
        taken = pa.array(index)
        shaped = matches(upper.take(taken), shape)
        if not shaped.any():
            continue
        index = index[shaped]
        codes = right_aligned_codes(compact.take(pa.array(index)), form.width)
        out[index[form.check(codes)]] = True
    return out


def _keyword_form(keyword: str, value: str) -> str:
    """A value right after its keyword ("NHS no: 943 476 5919", "BSN 111222333", "NIR : 2 95 ..."),
    perhaps with "number"/"no"/"is" between them; the keyword is context, kept when scrubbed."""
    return (
        rf"(?i:{keyword})[^\w\n]{{0,4}}"
        r"(?:(?i:is|was|of|on\s+file|number|num|no|nr|nummer|numero|card|n)[^\w\n]{1,4}){0,2}"
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
        r"sv_nummer|rentenversicherungsnummer)" + ID_SUFFIX
    )
    by_values = True
    # The codice fiscale delimits itself and has a check letter; the compact NINO is two letters,
    # six digits and a letter A-D. The digits of both guarantee the caps_digits shape (hints.py).
    text_pattern = rf"\b(?P<v>[A-Z]{{6}}\d{{2}}[ABCDEHLMPRST]{_OMOCODE}{{2}}[A-Z]{_OMOCODE}{{3}}[A-Z])\b"
    text_hint = TextHint(shapes=("caps_digits",))
    context_patterns = (
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
            _keyword_form(r"(?:\bNIR\b|\bINSEE\b|s[éÉe]curit[éÉe]\s+sociale|\bcarte\s+vitale)", _V_NIR),
            TextHint(keywords=("nir", "insee", "sociale", "vitale")),
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
