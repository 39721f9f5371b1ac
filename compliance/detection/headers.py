"""Column-header semantics: normalisation and the header rules for non-identifier roles.

Identifier headers live on each recognizer (recognizers/); this module holds what is not an
identifier type: consent flags, record dates, quasi-identifiers, free text, GPS lat/lon halves, and
headers that rule out value-based typing (a "version" column of 1.2.3.4 strings is not IPs).
All rules match the normalised header in full.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

# Any leading qualifier tokens: "patient_ssn", "billing_zip", "client_ip".
ANY_PREFIX = r"(?:[a-z0-9]+_)*"
# Trailing tokens that keep the meaning of the head word: "phone_number", "email_2", "ssn_no".
ID_SUFFIX = r"(?:_(?:number|num|nbr|no|nr|id|code|value|hash|raw|text|str|primary|secondary|[0-9]))*"


# The scripts whose letters a normalised header keeps beside ASCII (round 11): Greek, Cyrillic,
# Hebrew, Arabic and Persian, Devanagari, Thai, Hangul, kana and CJK ideographs.
NON_LATIN_LETTERS = (
    "\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0900-\u097f"
    "\u0e00-\u0e7f\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff"
)


# Latin letters that NFKD leaves whole, spelled as the ASCII a header rule uses: "Adı Soyadı",
# "Właściciel", "Fødselsdato", "Straße".
_LATIN_WITHOUT_DECOMPOSITION = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "ı": "i", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D"}
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def normalize_header(name: str) -> str:
    """snake_case of a header: "dateOfBirth", "Date-Of Birth" and "DATE_OF_BIRTH" -> "date_of_birth";
    accents folded, so the rules spell other languages' headers in ASCII: "Teléfono" -> "telefono",
    "Straße" -> "strasse", "Nº Seguridad Social" -> "no_seguridad_social"."""
    text = str(name).strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LATIN_WITHOUT_DECOMPOSITION))
        text = "".join(char for char in text if not unicodedata.combining(char))
        # Letters of other scripts stay, their marks folded as Latin accents are ("ФИО" -> "фио",
        # "Διεύθυνση" -> "διευθυνση", "氏名", "주소"): NFC puts Hangul syllables back together.
        text = unicodedata.normalize("NFC", text)
    # A possessive reads as the plural a header would spell: "Driver's License" -> "drivers_license".
    text = re.sub(r"(?<=[A-Za-z])['’]s\b", "s", text)
    # "#" reads "number": "Chart #", "SS#" and "Member #" name an identifier as "chart_number" does.
    text = re.sub(r"#", "_number_", text)
    # A plural marker names the same thing: "Forename(s)", "Phone(s)", "Address(es)".
    text = re.sub(r"(?<=[A-Za-z])\((?:e?s)\)", "", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return re.sub(rf"[^0-9a-zA-Z{NON_LATIN_LETTERS}]+", "_", text).strip("_").lower()


def without_ordinal(normalized: str) -> str | None:
    """The header without a number glued to its last word ("zip_code5" -> "zip_code", "phone2" ->
    "phone", "email_addr1"): the rules spell such a number as a token of its own ("phone_2");
    None when there is none."""
    match = re.fullmatch(r"(.*[a-z])[0-9]{1,2}", normalized)
    return match[1] if match else None


# Abbreviations of the headers people type in EHR, claims and core-banking exports ("PtFName",
# "PAT_BRTH_DT", "SUBSCR_NM", "MBR_ID", "PHN", "MBL", "NATL_ID"), token by token. Not "ph": a lab
# result column "PH" holds pH values, not phone numbers.
_ABBREVIATIONS = {
    "pt": "patient",
    "pat": "patient",
    "ptnt": "patient",
    "patnt": "patient",
    "fname": "first_name",
    "fnm": "first_name",
    "frst": "first",
    "lname": "last_name",
    "lnm": "last_name",
    "lst": "last",
    "mname": "middle_name",
    "nm": "name",
    "nme": "name",
    "brth": "birth",
    "bth": "birth",
    "brthdt": "birth_date",
    "dt": "date",
    "dte": "date",
    "dos": "service_date",
    "disch": "discharge",
    "adm": "admission",
    "mbl": "mobile",
    "mob": "mobile",
    "mobl": "mobile",
    "phn": "phone",
    "phne": "phone",
    "natl": "national",
    "ntnl": "national",
    "ntl": "national",
    "mbr": "member",
    "membr": "member",
    "subscr": "subscriber",
    "sbscr": "subscriber",
    "subsc": "subscriber",
    "emp": "employee",
    # HR and benefits feeds: "EE_NM", "EE_SSN" (EE employee; ER, the employer, is no person).
    "ee": "employee",
    "empl": "employee",
    "cust": "customer",
    "benef": "beneficiary",
    "bene": "beneficiary",
    "guar": "guarantor",
    "depd": "dependent",
    "dep": "dependent",
    "rndr": "rendering",
    "attn": "attending",
    "addr": "address",
    "adr": "address",
    "addrs": "address",
    "eml": "email",
    "acct": "account",
    "ins": "insurance",
    "insur": "insurance",
    # A warehouse's surrogate key for a person is their id ("PatientKey", "MEMBER_KEY").
    "key": "id",
    "nbr": "number",
    "num": "number",
    "no": "number",
    "nr": "number",
}
# "F Name", "L_NM": an initial before a name token.
_NAME_INITIAL = re.compile(r"(?:(?<=_)|^)([flm])_name(?=_|$)")
_INITIALS = {"f": "first", "l": "last", "m": "middle"}
# Trailing number words the identifier rules do not spell after every head word ("MRN_NO").
_NUMBER_SUFFIX = re.compile(r"(?:_number)+$")
# A number that tells apart several people or contacts of a record, glued to a word or a token of
# its own before the rest of the header ("guardian1_name", "guardian_2_name", "parent2_email"):
# the rules spell the header without it. Words of four letters or more, so "utf8" stays.
_INNER_ORDINAL = re.compile(r"(?<=[a-z]{4})[0-9]{1,2}(?=_)|_[0-9]{1,2}(?=_)")
# A bare name part after a word that qualifies a name ("legal_first", "preferred_last"): a name.
_QUALIFIED_NAME_PART = re.compile(
    r"(?:^|(?<=_))(?:legal|preferred|official|birth|display|known_as|alias)_"
    r"(?:first|last|middle|given|family|sur|fore)$"
)


@functools.lru_cache(maxsize=4096)
def expanded_readings(normalized: str) -> tuple[str, ...]:
    """Other readings of a normalised header with its abbreviations spelled out ("pt_f_name" ->
    "patient_first_name", "pat_brth_dt" -> "patient_birth_date", "mrn_no" -> "mrn_number" and
    "mrn"); empty when there is nothing to spell out. The rules are tried on the header as written
    first: these readings only name columns the written header left unnamed."""
    words = [_ABBREVIATIONS.get(word, word) for word in _INNER_ORDINAL.sub("", normalized).split("_")]
    spelled = _NAME_INITIAL.sub(lambda m: f"{_INITIALS[m[1]]}_name", "_".join(words))
    spelled = _QUALIFIED_NAME_PART.sub(lambda m: f"{m[0]}_name", spelled)
    readings = [spelled] if spelled != normalized else []
    bare = _NUMBER_SUFFIX.sub("", spelled)
    if bare and bare != spelled:
        readings.append(bare)
    return tuple(readings)


def spelled_out(normalized: str, names_type: Callable[[str], bool]) -> str | None:
    """The first reading of `expanded_readings` that names a column role: an identifier type (by
    `names_type`), free text, a sensitive attribute, a record date, a quasi-identifier or a GPS half."""
    for reading in expanded_readings(normalized):
        if (
            names_type(reading)
            or any(rule.fullmatch(reading) for rule in (FREE_TEXT, SENSITIVE, RECORD_DATE))
            or quasi_kind(reading) is not None
            or gps_half(reading) is not None
        ):
            return reading
    return None


def header_rule(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


CONSENT = header_rule(
    ANY_PREFIX + r"(?:consent(?:_[a-z]+)?|opt_?in|opted_?in|marketing_opt_?in|gdpr_[a-z_]*consent|"
    r"has_consent|consent_given|agreed_to_[a-z_]+|accepts?_marketing)"
)
RECORD_DATE = header_rule(
    r"(?:date|datetime|timestamp|ts|created|updated|modified|"
    r"(?:[a-z0-9]+_)*(?:record|visit|transaction|txn|trans|event|service|encounter|admission|admit|"
    r"discharge|order|purchase|payment|claim|collection|collected|report|posting|entry|ingest|"
    r"ingestion|load|created|updated|modified|signup|registration|enrollment|appointment|booking)"
    r"_(?:date|time|datetime|timestamp|ts|at|on|dt))"
)
# The people (and their contacts) a record may be about, by role: "caller_details", "student_id".
_PERSON_ROLE = (
    r"(?:patient|customer|client|member|caller|guardian|parent|student|pupil|employee|staff|subscriber|"
    r"beneficiary|insured|applicant|tenant|resident|donor|recipient|contact|emergency_contact|"
    r"next_of_kin|nok|spouse|caregiver|carer|dependent|dependant|guarantor|cardholder|account_holder|"
    r"policyholder|claimant|enrollee|borrower|passenger|traveler|traveller|visitor|guest|person|"
    r"individual|citizen|victim|witness)"
)
# People an institution numbers: their number is on a card and in other systems.
_ISSUED_TO = r"(?:student|pupil|learner|employee|staff|badge|inmate|voter|citizen|resident|enrollee)"
# What a record holds about one such person, beside their name: "patient_details", "caller_info".
_PERSON_DETAILS = rf"{_PERSON_ROLE}_(?:details?|info|information|data|record|profile)"
FREE_TEXT = header_rule(
    # A person's details may be free text, but all of it is about them: SENSITIVE fails it closed.
    rf"(?!{ANY_PREFIX}{_PERSON_DETAILS}$)"
    + ANY_PREFIX
    + r"(?:notes?|memo|comments?|description|desc|free_?text|message|msg|remarks?|"
    r"narrative|summary|text|body|details|observations?|feedback|complaint|chief_complaint|"
    r"history|instructions|annotation|transcript|review|content)"
)
# Headers whose values are never identifiers even when they look like one.
NOT_IDENTIFIER = header_rule(
    ANY_PREFIX
    + r"(?:version|ver|build|release|firmware|fw|sw|os|os_version|schema|api)(?:_[a-z0-9]+)*|"
    # An e-mail's Message-ID ("<1c06f3...@mail.example.eu>"): a random key in an address's shape.
    + ANY_PREFIX
    + r"(?:message_id|msg_id|in_reply_to|thread_message_id)"
)
# Round 11: phone and national-number headers of other scripts ("Телефон", "Номер телефона",
# "СНИЛС", "Τηλέφωνο", "ΑΜΚΑ", "טלפון", "תעודת זהות", "رقم الهوية", "کد ملی", "फ़ोन", "आधार",
# "電話番号", "マイナンバー", "身份证号", "전화번호", "주민등록번호", "โทรศัพท์", "เลขบัตรประชาชน") fail
# closed like "contact" and "national_id": each value is typed on its own (a phone number where one
# is), the rest anonymized. Words of scripts written with spaces are a token's start; Chinese,
# Japanese, Korean and Thai words are looked for anywhere in the header (they glue their words).
_NATIVE_SENSITIVE_STARTS = (
    "телефон", "мобильн", "мобільн", "сотов", "паспорт", "снилс", "рнокпп", "τηλεφων", "κινητ", "αμκα",
    "ταυτοτητ", "διαβατηρι",
    "טלפון", "נייד", "פלאפון", "סלולרי", "דרכון", "ת_ז", "תעודת_זהות", "מספר_זהות",
    "هاتف", "الهاتف", "جوال", "الجوال", "موبايل", "الموبايل", "رقم_الهوية", "الهوية", "هوية", "جواز", "الإقامة",
    "السجل_المدني", "تلفن", "موبایل", "همراه", "کد_ملی", "شماره_ملی", "گذرنامه",
    "फ़ोन", "फोन", "मोबाइल", "दूरभाष", "आधार", "पैन", "पासपोर्ट",
)  # fmt: skip
# Abbreviations, as whole tokens ("Тел.", "ИНН", "ΑΦΜ"): as a token's start they would be other words'.
_NATIVE_SENSITIVE_TOKENS = ("тел", "моб", "инн", "омс", "іпн", "егн", "лнч", "τηλ", "αφμ", "αδτ")
_NATIVE_SENSITIVE_ANYWHERE = (
    "電話", "电话", "手机", "手機", "携帯", "連絡先", "联系方式", "聯絡", "전화", "휴대폰", "핸드폰", "연락처",
    "マイナンバー", "個人番号", "保険証", "旅券", "パスポート", "身份证", "身分證", "身分证", "护照", "護照",
    "주민등록", "주민번호", "여권", "외국인등록", "โทรศัพท์", "มือถือ", "เบอร์", "บัตรประชาชน", "เลขประจำตัว",
    "หนังสือเดินทาง", "พาสปอร์ต",
)  # fmt: skip


def _folded(words: tuple[str, ...]) -> str:
    """The words as normalize_header spells them, for a regex alternation."""
    return "|".join(re.escape(normalize_header(word)) for word in words)


_NATIVE_SENSITIVE = (
    rf"(?:.*_)?(?:(?:{_folded(_NATIVE_SENSITIVE_STARTS)})[^_]*|{_folded(_NATIVE_SENSITIVE_TOKENS)})(?:_.*)?|"
    rf".*(?:{_folded(_NATIVE_SENSITIVE_ANYWHERE)}).*"
)
# Headers that name a sensitive attribute without naming one identifier type ("contact" may hold
# e-mails or phones, "national_id" an identifier no recognizer knows): each value is typed on its
# own, and a value no detector recognises is anonymized all the same (fail closed).
SENSITIVE = header_rule(
    ANY_PREFIX + r"(?:contact|contacts|contact_method|"
    r"contact_value|preferred_contact|reach|reach_at|how_to_reach|personal_data|personal_info|"
    # Messaging and social accounts ("WeChat: jroe88", "@janeroe"): no recognizer knows a handle.
    r"reach_via|reach_by|contact_via|contact_by|messenger|messaging|im_handle|social_media|social_profile|"
    r"whatsapp|wechat|telegram|skype|twitter|instagram|facebook|linkedin|tiktok|snapchat|"
    r"personal_information|pii|phi|id_number|identity_number|national_id|government_id|gov_id|tax_id|"
    r"taxpayer_id|tin|itin|nin|nino|ni_number|national_insurance|sin|personal_id|citizen_id|"
    r"username|user_name|login_name|login_id|screen_name|social_handle|user|login|handle|nickname|"
    # A directory account (Active Directory's user principal name, "jdoe@corp.example").
    r"upn|user_principal_name|sam_account_name|samaccountname|"
    # Payment handles pay one person: "@jane-doe-12" (Venmo), "$JaneDoe" (Cash App), a UPI id.
    r"(?:venmo|cash_?app|cashtag|zelle|paypal|paypal_me|revolut|revtag|monzo|upi|vpa|upi_vpa)"
    r"(?:_(?:handle|tag|user|username|account|address|link|me))?|"
    # A person of the record by role and what describes them ("caller", "caller_info",
    # "contact_details"), and the numbers an institution issues to a person, which identify them
    # outside the file too ("student_id", "employee_no"); a customer id is the file's own key.
    rf"caller|{_PERSON_DETAILS}|{_ISSUED_TO}(?=_(?:number|num|nbr|no|nr|id|code))|"
    # A list of a person's identifiers (FHIR's Patient.identifier: MRN, SSN, passport... as JSON).
    r"identifier|identifiers|"
    # Positions written as cell ids (a 9-character geohash is ~5 m): no coarsener of their own.
    r"geohash|geo_hash|h3|h3_index|h3_cell|s2_cell|s2_cell_id|plus_code|open_location_code|olc|"
    # A grid or radio cell ("h3_cell", "cell_id", "serving_cell"): a place, not a phone (contact.py).
    r"cell_id|cell_index|cell_token|cellid|cell_tower|cell_tower_id|serving_cell|grid_cell|hex_cell|"
    r"geo_cell|map_cell|"
    r"what3words|w3w|mgrs|"
    # A Wi-Fi network's name: often the owner's ("JohnsiPhone") and, with its BSSID, a home's place.
    r"ssid|wifi_ssid|wifi_name|wifi_network|"
    # Part of an SSN ("SSN Last 4"): no full SSN to validate, a personal number all the same.
    r"(?:ssn|social|ss|soc_sec)_last_?(?:4|four)|last_?(?:4|four)(?:_of)?_(?:ssn|social|ss)|ssn_?4|"
    # A prescriber's DEA registration (a certificate number: HIPAA Safe Harbor #11), no type of its own.
    r"dea|dea_registration|dea_reg|dea_license|dea_licence|"
    # Vehicle identifiers (HIPAA Safe Harbor names licence plates): no recognizer knows their formats.
    r"license_plate|licence_plate|plate|plate_number|vehicle_registration|vehicle_plate|registration_plate)"
    + ID_SUFFIX
    + "|"
    + _NATIVE_SENSITIVE
)
QUASI_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("age", header_rule(ANY_PREFIX + r"(?:age|age_years|age_in_years|years_old|age_group|age_band)")),
    ("gender", header_rule(ANY_PREFIX + r"(?:gender|sex|gender_identity)")),
    ("city", header_rule(ANY_PREFIX + r"(?:city|town|municipality|city_name|locality)")),
    (
        "category",
        header_rule(
            ANY_PREFIX + r"(?:ethnicity|ethnic_group|race|marital_status|marital|occupation|"
            r"profession|job_title|religion|education|education_level|nationality|citizenship)"
        ),
    ),
)

# GPS halves: "lat", "latitude", "pickup_lat", "lat_deg"; the rest of the name pairs them.
_LAT = re.compile(r"^(?P<pre>(?:[a-z0-9]+_)*?)(?:lat|latitude)(?:_deg|_dd|_wgs84)?(?P<post>(?:_[a-z0-9]+)*)$")
_LON = re.compile(
    r"^(?P<pre>(?:[a-z0-9]+_)*?)(?:lon|lng|long|longitude)(?:_deg|_dd|_wgs84)?(?P<post>(?:_[a-z0-9]+)*)$"
)


def quasi_kind(normalized: str) -> str | None:
    for kind, rule in QUASI_KINDS:
        if rule.fullmatch(normalized):
            return kind
    return None


def gps_half(normalized: str) -> float | None:
    """The range limit of a header naming a latitude (90) or longitude (180) column by itself
    ("latitude", "device_lat", "pickup_lng"); None for any other header."""
    for limit, rule in ((90.0, _LAT), (180.0, _LON)):
        match = rule.match(normalized)
        if match and not match["post"]:
            return limit
    return None


# Plain axis names ("y"/"x", "geo_y"/"geo_x", "y_coord"/"x_coord"): a position only when the values
# say so (they may as well be pixels or a projected grid), see axis_pairs.
_AXIS = re.compile(
    r"^(?P<pre>(?:(?:geo|gps|loc|location|pos|position|point|pt|coord|wgs84|device|user|home|event|"
    r"pickup|dropoff)_)?)(?P<axis>[xy])(?P<post>(?:_(?:coord|coordinate|pos|deg|dd|wgs84))?)$"
)


def axis_pairs(fields: list[str]) -> dict[str, str]:
    """ "y" field -> "x" field, pairing plain axis headers that share the rest of the name; unlike
    gps_pairs these name a position only if their values are latitudes and longitudes."""
    found: dict[tuple[str, str, str], str] = {}
    for field in fields:
        match = _AXIS.match(normalize_header(field))
        if match:
            found.setdefault((match["axis"], match["pre"], match["post"]), field)
    return {
        field: found[("x", pre, post)]
        for (axis, pre, post), field in found.items()
        if axis == "y" and ("x", pre, post) in found
    }


def gps_pairs(fields: list[str]) -> dict[str, str]:
    """Latitude field -> longitude field, pairing "lat"/"lon" headers that share the rest of the name."""
    lons: dict[tuple[str, str], str] = {}
    for field in fields:
        match = _LON.match(normalize_header(field))
        if match:
            lons.setdefault((match["pre"], match["post"]), field)
    pairs: dict[str, str] = {}
    for field in fields:
        match = _LAT.match(normalize_header(field))
        if match and (match["pre"], match["post"]) in lons:
            pairs[field] = lons.pop((match["pre"], match["post"]))
    return pairs
