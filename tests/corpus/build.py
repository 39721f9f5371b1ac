"""Builder of the independent evaluation corpus: realistic exports (a clinic's intake sheet, a
bank's transaction ledger, a mobile SDK's location pings, a CRM dump) written with Faker in several
locales and with hand-written real-world notations, each with its labels: one row per
(row, field, type) that a careful human labeller would mark as a personal identifier.

It is independent of the platform on purpose: nothing here imports compliance/ (neither the
detectors nor compliance/generator.py), so the corpus measures the detectors rather than echoing
them. Every identifier is built from its own definition (SSA area/group/serial rules, Luhn, ISO
13616 mod-97, ISO 3779 check digit, libphonenumber validity), and the decoys are built to be
deliberately invalid or plainly not personal (order numbers, versions, amounts, ICD-10 codes...).

    python -m tests.corpus.build OUT_DIR [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import ipaddress
import json
import random
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from faker import Faker

TYPES = (
    "SSN",
    "CREDIT_CARD",
    "CARD_CVV",
    "IBAN",
    "BANK_ACCOUNT",
    "EMAIL",
    "PHONE",
    "IP_ADDRESS",
    "URL",
    "PERSON_NAME",
    "STREET_ADDRESS",
    "ZIP_CODE",
    "DATE_OF_BIRTH",
    "MRN",
    "NPI",
    "HEALTH_PLAN_ID",
    "DRIVER_LICENSE",
    "PASSPORT",
    "VIN",
    "DEVICE_ID",
    "GPS_COORDINATES",
    "NATIONAL_ID",
)

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "en_IN")
REGION = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "nl_NL": "NL",
    "es_ES": "ES",
    "it_IT": "IT",
    "en_IN": "IN",
}
# How exports spell a country; COUNTRY_REGION maps every spelling back to its phone region.
COUNTRY_SPELLINGS = {
    "US": ("US", "USA", "United States"),
    "GB": ("GB", "UK", "United Kingdom"),
    "DE": ("DE", "Germany", "Deutschland"),
    "FR": ("FR", "France"),
    "NL": ("NL", "Netherlands"),
    "ES": ("ES", "Spain", "España"),
    "IT": ("IT", "Italy"),
    "IN": ("IN", "India"),
}
COUNTRY_REGION = {name: region for region, names in COUNTRY_SPELLINGS.items() for name in names}

LABEL_SCHEMA = pa.schema([("row", pa.int64()), ("field", pa.string()), ("type", pa.string())])
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
# Hand-written fixtures: file name -> domain.
FIXTURES = {
    "clinic_intake_sheet.csv": "healthcare",
    "crm_contacts.csv": "mixed",
    "support_tickets.jsonl": "mixed",
    "ehr_short_headers.csv": "healthcare",
    "claims_export.csv": "healthcare",
    # Probe round 4 (issue 11): exports with native headers, written with Faker's es/fr/de/it locales.
    "es_pacientes.csv": "healthcare",
    "fr_personnel.csv": "mixed",
    "de_mitarbeiter.csv": "mixed",
    "it_pazienti.csv": "healthcare",
    # Probe round 5 (issue 11): export styles of other systems and countries, hand-typed formats.
    "ehr_discharge_narrative.csv": "healthcare",
    "bank_statement_memos.jsonl": "financial",
    "nested_device_pings.jsonl": "location",
    "commonwealth_customers.csv": "mixed",
    # Probe round 6 (issue 11): a pharmacy's refill list, notes naming people by job, relation and mail.
    "pharmacy_refills.csv": "healthcare",
    # Probe round 7 (issue 11): record formats read by position: an airline manifest and an LDIF dump.
    "passenger_contacts.csv": "mixed",
}


@dataclass(frozen=True)
class CorpusFile:
    name: str
    path: Path
    format: str  # "csv" | "jsonl" | "parquet"
    domain: str  # "healthcare" | "financial" | "location" | "mixed"
    labels: pa.Table  # row:int64, field:string, type:string; one row per (row, field, type), sorted


# ---------------------------------------------------------------------------------------------
# Check digits (built from the definitions, not from the platform)
# ---------------------------------------------------------------------------------------------


def _luhn_digit(payload: str) -> str:
    """The Luhn check digit to append to `payload`."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _iban(country: str, bban: str) -> str:
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


_VIN_VALUE = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _vin(r: random.Random) -> str:
    wmi = r.choice(
        ("1HG", "1FT", "1G1", "2T1", "3VW", "5YJ", "JTD", "KMH", "WBA", "WVW", "WDD", "VF1", "ZFA", "SAL")
    )
    vds = "".join(r.choice(_VIN_CHARS) for _ in range(5))
    year = r.choice("ABCDEFGHJKLMNPRS")  # 2010-2025
    plant = r.choice(_VIN_CHARS)
    serial = f"{r.randrange(10**6):06d}"
    body = wmi + vds + "0" + year + plant + serial
    rem = sum(_VIN_VALUE[c] * w for c, w in zip(body, _VIN_WEIGHTS, strict=True)) % 11
    return body[:8] + ("X" if rem == 10 else str(rem)) + body[9:]


def _digits(r: random.Random, k: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(k))


# ---------------------------------------------------------------------------------------------
# Identifier generators
# ---------------------------------------------------------------------------------------------


def _ssn(r: random.Random) -> tuple[str, str, str]:
    while True:
        area = r.randrange(1, 900)
        if area != 666:
            return f"{area:03d}", f"{r.randrange(1, 100):02d}", f"{r.randrange(1, 10000):04d}"


def _invalid_ssn(r: random.Random) -> str:
    kind = r.randrange(5)
    _a, g, s = _ssn(r)
    a = ("000", "666", f"9{r.randrange(100):02d}", "000", "666")[kind]
    if kind == 3:
        g = "00"
    if kind == 4:
        s = "0000"
    return f"{a}-{g}-{s}"


_CARD_BRANDS = (
    (("4",), 16),  # Visa
    (("51", "52", "53", "54", "55", "2221", "2310", "2720"), 16),  # Mastercard
    (("34", "37"), 15),  # American Express
    (("6011", "65", "644", "649"), 16),  # Discover
)


def _card(r: random.Random) -> str:
    prefixes, length = _CARD_BRANDS[r.choices(range(4), weights=(45, 30, 15, 10))[0]]
    prefix = r.choice(prefixes)
    payload = prefix + _digits(r, length - len(prefix) - 1)
    return payload + _luhn_digit(payload)


def _card_forms(card: str) -> list[str]:
    if len(card) == 15:
        groups = [card[:4], card[4:10], card[10:]]
    else:
        groups = [card[i : i + 4] for i in range(0, 16, 4)]
    return [card, " ".join(groups), "-".join(groups)]


def _luhn_invalid_ref(r: random.Random) -> str:
    """16 digits, no card brand prefix, failing Luhn: a batch/reference number."""
    payload = r.choice("089") + _digits(r, 14)
    bad = (int(_luhn_digit(payload)) + r.randrange(1, 10)) % 10
    return payload + str(bad)


def _npi(r: random.Random) -> str:
    base = r.choice("12") + _digits(r, 8)
    return base + _luhn_digit("80840" + base)


def _imei(r: random.Random) -> str:
    tac = r.choice(
        ("35332510", "35404906", "35291108", "86769403", "35875607", "01326300", "35209900", "35684610")
    )
    payload = tac + _digits(r, 6)
    return payload + _luhn_digit(payload)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _fr_rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _es_dc(digits10: str) -> str:
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    v = 11 - sum(int(c) * w for c, w in zip(digits10, weights, strict=True)) % 11
    return str({11: 0, 10: 1}.get(v, v))


_IT_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


def _it_cin(rest: str) -> str:
    total = 0
    for i, ch in enumerate(rest):
        k = int(ch) if ch.isdigit() else ord(ch) - 65
        total += _IT_ODD[k] if i % 2 == 0 else k
    return _LETTERS[total % 26]


def _bban(country: str, r: random.Random) -> tuple[str, str]:
    """(BBAN, the account-number part a bank statement would show)."""
    if country == "DE":
        acct = _digits(r, 10)
        return r.choice(("10070000", "37040044", "50010517", "20041133", "70150000", "12030000")) + acct, acct
    if country == "GB":
        acct = _digits(r, 8)
        return r.choice(("NWBK", "BARC", "LOYD", "HBUK", "MIDL")) + _digits(r, 6) + acct, acct
    if country == "FR":
        bank, branch, acct = r.choice(("30004", "30003", "20041", "10278")), _digits(r, 5), _digits(r, 11)
        return bank + branch + acct + _fr_rib_key(bank, branch, acct), acct
    if country == "NL":
        while True:  # "elfproef" (mod-11) on the 10-digit account
            acct = _digits(r, 10)
            if sum(int(c) * (10 - i) for i, c in enumerate(acct)) % 11 == 0:
                return r.choice(("ABNA", "RABO", "INGB", "SNSB", "TRIO")) + acct, acct
    if country == "ES":
        bank, branch, acct = r.choice(("2100", "0049", "0182", "2085")), _digits(r, 4), _digits(r, 10)
        return bank + branch + _es_dc("00" + bank + branch) + _es_dc(acct) + acct, acct
    if country == "IT":
        abi, cab, acct = r.choice(("03069", "02008", "05034", "03062")), _digits(r, 5), _digits(r, 12)
        return _it_cin(abi + cab + acct) + abi + cab + acct, acct
    raise ValueError(country)


def _iban_forms(iban: str) -> list[str]:
    return [iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))]


def _bad_iban(good: str) -> str:
    check = int(good[2:4])
    wrong = (check + 37) % 97
    wrong = wrong if wrong >= 2 else wrong + 2  # 00 and 01 never occur, but keep it IBAN-shaped
    if wrong == check:
        wrong = check + 1
    bad = f"{good[:2]}{wrong:02d}{good[4:]}"
    return " ".join(bad[i : i + 4] for i in range(0, len(bad), 4))


def _card_like(digits: str) -> bool:
    """Would this digit string pass for a card number (brand prefix, length and Luhn)?"""
    if not 13 <= len(digits) <= 19 or _luhn_digit(digits[:-1]) != digits[-1]:
        return False
    return (
        digits[0] == "4"
        or 51 <= int(digits[:2]) <= 55
        or 2221 <= int(digits[:4]) <= 2720
        or digits[:2] in ("34", "37", "65")
        or digits[:4] == "6011"
        or 644 <= int(digits[:3]) <= 649
    )


def _account_number(country: str, r: random.Random) -> str:
    while True:
        if country == "US":
            number = _digits(r, r.choice((8, 9, 10, 12)))
        elif country == "IN":
            number = r.choice("123456789") + _digits(r, r.choice((10, 11, 13, 15)))
        else:
            number = _bban(country, r)[1]
        if not _card_like(number):  # an account number that happens to pass for a card is ambiguous
            return number


def _mrn(r: random.Random, text: bool = False) -> str:
    n = r.randrange(10**4, 10**8)
    kinds = (0, 1, 2, 3) if not text else (1, 3, 4)
    kind = r.choice(kinds)
    if kind == 0:
        return f"MRN-{n:08d}"
    if kind == 1:
        return f"{r.choice('ABEHMP')}{n % 10**7:07d}"
    if kind == 2:
        return f"MRN{n % 10**7:07d}"
    if kind == 3:
        return f"{n:08d}"
    return f"{n % 10**7:07d}"


_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


def _health_plan_id(r: random.Random) -> str:
    kind = r.choices(range(5), weights=(35, 20, 20, 15, 10))[0]
    if kind == 0:  # Blue Cross style: 3-letter prefix + 9 digits
        return "".join(r.choice(_LETTERS) for _ in range(3)) + _digits(r, 9)
    if kind == 1:  # W + 9 digits
        return "W" + _digits(r, 9)
    if kind == 2:  # Medicare Beneficiary Identifier
        an = _MBI_LETTERS + "0123456789"
        mbi = (
            r.choice("123456789")
            + r.choice(_MBI_LETTERS)
            + r.choice(an)
            + r.choice("0123456789")
            + r.choice(_MBI_LETTERS)
            + r.choice(an)
            + r.choice("0123456789")
            + r.choice(_MBI_LETTERS)
            + r.choice(_MBI_LETTERS)
            + _digits(r, 2)
        )
        return mbi if r.random() < 0.5 else f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}"
    if kind == 3:
        return f"MBR-{_digits(r, 8)}"
    return "U" + _digits(r, 8) + "-0" + r.choice("1234")


def _passport(region: str, r: random.Random) -> str:
    up = _LETTERS
    if region == "US":
        return r.choice(up) + _digits(r, 8) if r.random() < 0.6 else r.choice("56") + _digits(r, 8)
    if region == "GB":
        return r.choice("123456") + _digits(r, 8)
    if region == "DE":
        while True:
            number = r.choice("CFGHJK") + "".join(r.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(8))
            if sum(ch.isdigit() for ch in number) >= 2:
                return number
    if region == "FR":
        return _digits(r, 2) + r.choice(up) + r.choice(up) + _digits(r, 5)
    if region == "NL":
        nl = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
        return (
            r.choice(nl)
            + r.choice(nl)
            + "".join(r.choice(nl + "0123456789") for _ in range(6))
            + _digits(r, 1)
        )
    if region == "ES":
        return "".join(r.choice(up) for _ in range(3)) + _digits(r, 6)
    if region == "IT":
        return r.choice(up) + r.choice(up) + _digits(r, 7)
    return r.choice("JKLMNPRSTVWZ") + _digits(r, 7)  # IN


def _driver_license(region: str, r: random.Random, first: str, last: str, dob: dt.date) -> str:
    if region == "US":
        kind = r.randrange(5)
        letter = r.choice(_LETTERS)
        if kind == 0:  # California
            return letter + _digits(r, 7)
        if kind == 1:  # New York
            return f"{_digits(r, 3)} {_digits(r, 3)} {_digits(r, 3)}"
        if kind == 2:  # Florida
            return f"{letter}{_digits(r, 3)}-{_digits(r, 3)}-{_digits(r, 2)}-{_digits(r, 3)}-{_digits(r, 1)}"
        if kind == 3:  # Illinois
            return f"{letter}{_digits(r, 3)}-{_digits(r, 4)}-{_digits(r, 4)}"
        return _digits(r, 8)  # Texas
    if region == "GB":
        surname = (_ascii(last).upper() + "99999")[:5]
        month = dob.month + (50 if r.random() < 0.5 else 0)
        initials = (_ascii(first).upper()[:1] + r.choice(_LETTERS + "9") + "9")[:2]
        return (
            f"{surname}{str(dob.year)[2]}{month:02d}{dob.day:02d}{str(dob.year)[3]}{initials}"
            f"{r.randrange(10)}{r.choice(_LETTERS)}{r.choice(_LETTERS)}"
        )
    if region == "DE":
        return (
            r.choice("BFGJKMN") + _digits(r, 3) + "".join(r.choice(_LETTERS + "0123456789") for _ in range(7))
        )
    if region == "FR":
        return _digits(r, 12)
    if region == "NL":
        return _digits(r, 10)
    if region == "ES":
        n = r.randrange(10**7, 10**8)
        return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"
    if region == "IT":
        return r.choice(_LETTERS) + r.choice(_LETTERS) + _digits(r, 7) + r.choice(_LETTERS)
    state = r.choice(("MH", "DL", "KA", "TN", "UP", "GJ"))
    return f"{state}{_digits(r, 2)} {r.randrange(2005, 2024)}{_digits(r, 7)}"


def _mac(r: random.Random) -> str:
    octets = [r.randrange(256) for _ in range(6)]
    octets[0] &= 0xFE  # unicast
    kind = r.choices(range(4), weights=(50, 20, 20, 10))[0]
    if kind == 0:
        return ":".join(f"{o:02x}" for o in octets)
    if kind == 1:
        return ":".join(f"{o:02X}" for o in octets)
    if kind == 2:
        return "-".join(f"{o:02X}" for o in octets)
    h = "".join(f"{o:02x}" for o in octets)
    return f"{h[:4]}.{h[4:8]}.{h[8:]}"


def _device_id(r: random.Random) -> str:
    kind = r.choices(range(6), weights=(25, 25, 25, 10, 8, 7))[0]
    if kind == 0:
        return f"dev-{_digits(r, 12)}"
    if kind == 1:
        return _imei(r)
    if kind == 2:
        u = str(uuid.UUID(int=r.getrandbits(128), version=4))
        return u.upper() if r.random() < 0.45 else u  # IDFA upper, GAID lower
    if kind == 3:
        return f"{r.getrandbits(64):016x}"  # Android ID
    if kind == 4:
        return f"SN-{r.getrandbits(32):08X}"
    return f"TRK{_digits(r, 8)}"


def _ip(fk: Faker, r: random.Random) -> str:
    kind = r.choices(range(4), weights=(62, 8, 22, 8))[0]
    if kind == 0:
        return fk.ipv4_public()
    if kind == 1:
        return fk.ipv4_private()
    if kind == 2:
        return str(ipaddress.IPv6Address(fk.ipv6()))  # compressed form
    return f"2001:db8:{r.randrange(1, 0xFFFF):x}::{r.randrange(1, 0xFFFF):x}"


# ---------------------------------------------------------------------------------------------
# Phones: real area codes / mobile prefixes, kept only when libphonenumber says valid
# ---------------------------------------------------------------------------------------------

_US_AREA_CODES = (
    "617", "212", "415", "312", "713", "206", "303", "404", "305", "202", "512", "646",
    "718", "818", "214", "602", "619", "702", "808", "907", "215", "412", "503", "615",
)  # fmt: skip
_PHONE_PLANS: dict[str, Sequence[Callable[[random.Random], str]]] = {
    "US": (lambda r: "+1" + r.choice(_US_AREA_CODES) + str(r.randint(2, 9)) + _digits(r, 6),),
    "GB": (
        lambda r: "+4420" + r.choice("378") + _digits(r, 7),
        lambda r: (
            "+44"
            + r.choice(("161", "121", "131", "113", "117", "141"))
            + str(r.randint(2, 9))
            + _digits(r, 6)
        ),
        lambda r: "+447" + r.choice("4579") + _digits(r, 8),
    ),
    "DE": (
        lambda r: (
            "+49" + r.choice(("30", "89", "40", "69")) + str(r.randint(1, 9)) + _digits(r, r.choice((6, 7)))
        ),
        lambda r: "+49221" + str(r.randint(1, 9)) + _digits(r, r.choice((5, 6))),
        lambda r: (
            "+49" + r.choice(("151", "152", "160", "162", "170", "171", "176", "177", "179")) + _digits(r, 8)
        ),
    ),
    "FR": (lambda r: "+33" + r.choice("1234567") + _digits(r, 8),),
    "NL": (
        lambda r: "+31" + r.choice(("20", "10", "30", "70")) + str(r.randint(2, 9)) + _digits(r, 6),
        lambda r: "+316" + str(r.randint(1, 5)) + _digits(r, 7),
    ),
    "ES": (
        lambda r: "+34" + r.choice(("91", "93", "95", "96")) + _digits(r, 7),
        lambda r: "+346" + _digits(r, 8),
    ),
    "IT": (
        lambda r: "+39" + r.choice(("06", "02")) + _digits(r, r.choice((6, 7, 8))),
        lambda r: "+393" + r.choice("2456789") + _digits(r, 8),
    ),
    "IN": (
        lambda r: "+91" + r.choice("6789") + _digits(r, 9),
        lambda r: "+91" + r.choice(("11", "22", "80")) + str(r.randint(2, 6)) + _digits(r, 7),
    ),
}
_FMT = phonenumbers.PhoneNumberFormat


def _phone(region: str, r: random.Random) -> phonenumbers.PhoneNumber:
    plans = _PHONE_PLANS[region]
    while True:
        number = phonenumbers.parse(r.choice(plans)(r), None)
        if phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == region:
            return number


def _phone_forms(number: phonenumbers.PhoneNumber, region: str) -> tuple[list[str], list[str], str]:
    """(national notations, international notations, RFC 3966 tel: URI)."""
    rfc = phonenumbers.format_number(number, _FMT.RFC3966)
    e164 = phonenumbers.format_number(number, _FMT.E164)
    if region == "US":
        nsn = e164[2:]
        a, b, c = nsn[:3], nsn[3:6], nsn[6:]
        national = [f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}", nsn, f"1-{a}-{b}-{c}"]
        intl = [f"+1 {a} {b} {c}", f"+1-{a}-{b}-{c}", e164, f"+1 ({a}) {b}-{c}"]
        return national, intl, rfc
    nat = phonenumbers.format_number(number, _FMT.NATIONAL)
    inter = phonenumbers.format_number(number, _FMT.INTERNATIONAL)
    cc, _, rest = inter.partition(" ")
    head, _, tail = nat.partition(" ")
    national = [nat, nat.replace(" ", "")]
    intl = [inter, e164, inter.replace(" ", "-"), "00" + inter[1:]]
    if region in ("GB", "DE", "FR", "NL"):
        intl.append(f"{cc} (0){rest}")
    if region == "DE" and tail:
        national += [f"{head}/{tail.replace(' ', '')}", f"{head} {tail.replace(' ', '')}"]
    elif region == "FR":
        national.append(nat.replace(" ", "."))
    elif region == "NL" and tail:
        national.append(f"{head}-{tail.replace(' ', '')}")
    elif region == "ES":
        compact = nat.replace(" ", "")
        national.append(f"{compact[:3]} {compact[3:6]} {compact[6:]}")
    elif region == "IN":
        national.append(nat.lstrip("0"))
    return national, intl, rfc


# ---------------------------------------------------------------------------------------------
# People: one coherent record per fake person, per locale
# ---------------------------------------------------------------------------------------------

_MAIL_DOMAINS = {
    "en_US": ("gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "comcast.net", "hotmail.com"),
    "en_GB": ("btinternet.com", "hotmail.co.uk", "yahoo.co.uk", "sky.com", "mail.co.uk", "gmail.com"),
    "de_DE": ("web.de", "gmx.de", "t-online.de", "gmx.net", "posteo.de", "gmail.com"),
    "fr_FR": ("orange.fr", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr", "gmail.com"),
    "nl_NL": ("ziggo.nl", "kpnmail.nl", "hotmail.nl", "planet.nl", "gmail.com"),
    "es_ES": ("telefonica.net", "hotmail.es", "yahoo.es", "gmail.com", "outlook.es"),
    "it_IT": ("libero.it", "virgilio.it", "tiscali.it", "alice.it", "gmail.com"),
    "en_IN": ("rediffmail.com", "gmail.com", "yahoo.co.in", "outlook.com"),
}
_WORK_DOMAINS = (
    "stmarys-health.org", "bostonclinic.org", "northwind.com", "contoso.co.uk", "acme-logistics.de",
    "globex.fr", "initech.nl", "umbrella-med.com", "hooli.io", "univ-example.edu",
)  # fmt: skip
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_US_STREETS = (
    "Main", "Oak", "Maple", "Lincoln", "Washington", "Cedar", "Elm", "Park", "Lake", "Hill",
    "Pine", "Highland", "Franklin", "Jefferson", "Madison", "Beacon", "Commonwealth", "Sunset",
)  # fmt: skip
_US_SUFFIX = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Ct", "Way", "Pl", "Street", "Avenue", "Road", "Drive")
_UK_SUFFIX = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Gardens", "Crescent", "Way", "Terrace")
_DE_STREETS = (
    "Hauptstraße",
    "Bahnhofstr.",
    "Schulstraße",
    "Gartenweg",
    "Lindenallee",
    "Kirchplatz",
    "Am Markt",
)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def _email(first: str, last: str, loc: str, r: random.Random) -> str:
    f, last_ = _ascii(first) or "info", _ascii(last) or "mail"
    n = r.randrange(1, 99)
    shape = r.randrange(9)
    local = (
        f"{f}.{last_}",
        f"{f[0]}{last_}",
        f"{f}_{last_}",
        f"{f[0]}_{last_}+{r.choice(('news', 'billing', 'work', 'shop', '2024'))}",
        f"{last_}.{f}{n}",
        f"{f}{last_[0]}{n}",
        f"{f}-{last_}",
        f"{last_}{r.randrange(100, 9999)}",
        f"{f}.{last_}",
    )[shape]
    domain = r.choice(_WORK_DOMAINS) if r.random() < 0.2 else r.choice(_MAIL_DOMAINS[loc])
    email = f"{local}@{domain}"
    u = r.random()
    if u < 0.05:
        return email.upper()
    if u < 0.09:
        return f"{local.capitalize()}@{domain.capitalize()}"
    return email


def _us_street(r: random.Random, secondary: bool = True) -> str:
    number = r.choice(
        (r.randrange(1, 100), r.randrange(100, 1000), r.randrange(1000, 10000), r.randrange(10000, 99999))
    )
    direction = r.choice(("N ", "S ", "E ", "W ", "")) if r.random() < 0.3 else ""
    street = f"{number} {direction}{r.choice(_US_STREETS)} {r.choice(_US_SUFFIX)}"
    if secondary and r.random() < 0.25:
        street += r.choice(
            (
                f" Apt {r.randrange(1, 40)}{r.choice('ABCD')}",
                f" Suite {r.randrange(100, 900)}",
                f" #{r.randrange(1, 60)}",
            )
        )
    return street


def _street(loc: str, fk: Faker, r: random.Random) -> str:
    if loc == "en_US":
        return fk.street_address() if r.random() < 0.5 else _us_street(r)
    if loc == "en_GB":
        if r.random() < 0.25:
            return fk.street_address()
        street = f"{r.randrange(1, 250)} {fk.last_name()} {r.choice(_UK_SUFFIX)}"
        return f"Flat {r.randrange(1, 30)}, {street}" if r.random() < 0.15 else street
    if loc == "de_DE" and r.random() < 0.4:
        return f"{r.choice(_DE_STREETS)} {r.randrange(1, 120)}{r.choice(('', '', '', 'a', 'b'))}"
    return fk.street_address().replace("\n", ", ")


_TITLES = ("Dr.", "Prof.", "Mr", "Mr.", "Mrs", "Ms.")


def _display_name(first: str, last: str, r: random.Random, weights: Sequence[float]) -> str:
    """How a name column spells a person: First Last / Last, First / FIRST LAST / LAST First / Dr. First Last."""
    kind = r.choices(range(5), weights=weights)[0]
    if kind == 0:
        return f"{first} {last}"
    if kind == 1:
        return f"{last}, {first}"
    if kind == 2:
        return f"{first} {last}".upper()
    if kind == 3:
        return f"{last.upper()} {first}"
    return f"{r.choice(_TITLES)} {first} {last}"


def _date_forms(d: dt.date) -> list[str]:
    month = _MONTHS[d.month - 1]
    return [
        d.isoformat(),
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day} {month[:3]} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{d.month}/{d.day}/{d.year}",
    ]


_REFERENCE_DAY = dt.date(2025, 1, 1)
_DOB_US = (0, 1, 1, 1, 5, 3, 4)  # indices into _date_forms, weighted by repetition
_DOB_ANY = (0, 0, 1, 2, 2, 3, 4)


def _obj(values: Sequence) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _table(rows: Sequence[Sequence[str]], width: int) -> np.ndarray:
    """Ragged rows -> (n, width) object array, cycling short rows."""
    out = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        for j in range(width):
            out[i, j] = row[j % len(row)]
    return out


class _People:
    """`size` fake people per locale, concatenated; global index = offset[locale] + i."""

    SCALARS = ("loc", "region", "first", "last", "email", "street", "city", "postcode", "state", "dob", "rfc")

    def __init__(self, fakers: dict[str, Faker], size: int, r: random.Random) -> None:
        self.size = size
        self.offset = {loc: k * size for k, loc in enumerate(LOCALES)}
        cols: dict[str, list] = {k: [] for k in (*self.SCALARS, "nat", "intl", "ssn")}
        for loc in LOCALES:
            fk, region = fakers[loc], REGION[loc]
            # Some locales (it_IT) build their city list from a set: its order, hence fk.city(),
            # would follow the interpreter's hash seed. Sorted, the corpus is the same bytes in
            # every process.
            listed = getattr(fk.provider("faker.providers.address"), "cities", None)
            cities = sorted(listed) if isinstance(listed, list) else None
            for _ in range(size):
                first, last = fk.first_name(), fk.last_name()
                cols["loc"].append(loc)
                cols["region"].append(region)
                cols["first"].append(first)
                cols["last"].append(last)
                cols["email"].append(_email(first, last, loc, r))
                cols["street"].append(_street(loc, fk, r))
                cols["city"].append(fk.random_element(cities) if cities else fk.city())
                if loc == "en_US":
                    state = fk.state_abbr(include_territories=False, include_freely_associated_states=False)
                    zipcode = fk.zipcode_in_state(state)
                    cols["postcode"].append(zipcode if r.random() < 0.9 else f"{zipcode}-{_digits(r, 4)}")
                    cols["state"].append(state)
                else:
                    postcode = fk.postcode()
                    if loc == "nl_NL" and " " not in postcode and r.random() < 0.7:
                        postcode = f"{postcode[:4]} {postcode[4:]}"
                    cols["postcode"].append(postcode)
                    cols["state"].append(None)
                # Not Faker's date_of_birth: it counts back from today, so the corpus would change daily.
                cols["dob"].append(_REFERENCE_DAY - dt.timedelta(days=r.randrange(200, 95 * 365)))
                national, intl, rfc = _phone_forms(_phone(region, r), region)
                cols["nat"].append(national)
                cols["intl"].append(intl)
                cols["rfc"].append(rfc)
                cols["ssn"].append(_ssn(r))
        for k in self.SCALARS:
            setattr(self, k, _obj(cols[k]))
        self.ssn = cols["ssn"]
        self.nat = _table(cols["nat"], 6)
        self.intl = _table(cols["intl"], 5)
        self.dob_forms = _table([_date_forms(d) for d in cols["dob"]], 6)

    def sample(self, rng: np.random.Generator, n: int, weights: dict[str, float]) -> np.ndarray:
        locs = list(weights)
        p = np.array([weights[loc] for loc in locs], dtype=float)
        which = rng.choice(len(locs), size=n, p=p / p.sum())
        offsets = np.array([self.offset[loc] for loc in locs], dtype=np.int64)
        return offsets[which] + rng.integers(0, self.size, n)


class _Ctx:
    def __init__(self, rows: int, seed: int) -> None:
        self.rows, self.seed = rows, seed
        self.fakers: dict[str, Faker] = {}
        for k, loc in enumerate(LOCALES):
            fk = Faker(loc)
            fk.seed_instance(seed * 1000 + k)
            self.fakers[loc] = fk
        size = int(np.clip(rows // 3, 100, 2500))
        self.people = _People(self.fakers, size, random.Random(f"people-{seed}-{rows}"))

    def streams(self, name: str) -> tuple[np.random.Generator, random.Random]:
        key = int.from_bytes(hashlib.sha256(f"{name}-{self.seed}-{self.rows}".encode()).digest()[:8], "big")
        return np.random.default_rng(key), random.Random(key)


# ---------------------------------------------------------------------------------------------
# Column helpers
# ---------------------------------------------------------------------------------------------


class _Labels:
    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, str, str]] = []
        self.text: dict[tuple[str, str], list[int]] = {}

    def mark(self, field: str, type_: str, rows: np.ndarray) -> None:
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        self._parts.append((rows.astype(np.int64), field, type_))

    def mark_present(self, field: str, type_: str, values: np.ndarray, ok: np.ndarray | None = None) -> None:
        """Label every row whose value is present (not None), and `ok` if given."""
        present = np.array([v is not None for v in values], dtype=bool)
        self.mark(field, type_, present if ok is None else present & ok)

    def hit(self, field: str, types: Sequence[str], row: int) -> None:
        for t in types:
            self.text.setdefault((field, t), []).append(row)

    def table(self) -> pa.Table:
        for (field, t), rows in self.text.items():
            self.mark(field, t, np.asarray(rows, dtype=np.int64))
        self.text = {}
        if not self._parts:
            return LABEL_SCHEMA.empty_table()
        rows = np.concatenate([p[0] for p in self._parts])
        lengths = [len(p[0]) for p in self._parts]
        fields = np.repeat(np.array([p[1] for p in self._parts], dtype=object), lengths)
        types = np.repeat(np.array([p[2] for p in self._parts], dtype=object), lengths)
        t = pa.table({"row": rows, "field": fields.tolist(), "type": types.tolist()}, schema=LABEL_SCHEMA)
        t = t.group_by(["row", "field", "type"], use_threads=False).aggregate([])
        return t.select(["row", "field", "type"]).sort_by(
            [("row", "ascending"), ("field", "ascending"), ("type", "ascending")]
        )


def _cat(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _mess(values: np.ndarray, rng: np.random.Generator, upper=0.0, lower=0.0, pad=0.0) -> np.ndarray:
    """Real exports are messy: some values upper/lower-cased, some with stray spaces."""
    u = rng.random(len(values))
    for i in np.flatnonzero(u < upper):
        if values[i]:
            values[i] = values[i].upper()
    for i in np.flatnonzero((u >= upper) & (u < upper + lower)):
        if values[i]:
            values[i] = values[i].lower()
    for i in np.flatnonzero(rng.random(len(values)) < pad):
        if values[i]:
            values[i] = (" " + values[i]) if i % 2 else (values[i] + "  ")
    return values


def _pick2(
    table: np.ndarray, idx: np.ndarray, rng: np.random.Generator, cols: Sequence[int] | None = None
) -> np.ndarray:
    choices = np.asarray(cols if cols is not None else range(table.shape[1]))
    return table[idx, choices[rng.integers(0, len(choices), len(idx))]]


def _blank(values: np.ndarray, mask: np.ndarray, filler: Sequence[str | None] = (None,), rng=None) -> None:
    rows = np.flatnonzero(mask)
    if len(filler) == 1:
        values[rows] = filler[0]
    else:
        picks = rng.integers(0, len(filler), len(rows))
        for i, k in zip(rows, picks, strict=True):
            values[i] = filler[k]


def _timestamps(rng: np.random.Generator, n: int, start: str, days: int) -> np.ndarray:
    base = np.datetime64(start, "s")
    return np.sort(base + rng.integers(0, days * 86400, n).astype("timedelta64[s]"))


_PLACEHOLDERS = ("N/A", "n/a", "unknown", "none", "-", "REDACTED", "refused", "NULL")


def _text_builder(
    sentences: Sequence[tuple[float, Callable[[int], tuple[str, Sequence[str]]]]],
    counts: Sequence[float],
    rng: np.random.Generator,
    r: random.Random,
    n: int,
    labels: _Labels,
    field: str,
    lower: float = 0.03,
) -> list[str | None]:
    """Free text: each row gets 0..k sentences picked by weight; their label types go to `labels`."""
    weights = [w for w, _ in sentences]
    funcs = [f for _, f in sentences]
    k_per_row = _cat(rng, n, counts)
    out: list[str | None] = []
    for i in range(n):
        k = int(k_per_row[i])
        if k == 0:
            out.append(None if r.random() < 0.7 else "")
            continue
        parts, types = [], set()
        for f in r.choices(funcs, weights=weights, k=k):
            text, ts = f(i)
            parts.append(text)
            types.update(ts)
        text = " ".join(parts)
        if r.random() < lower:
            text = text.lower()
        out.append(text)
        labels.hit(field, sorted(types), i)
    return out


# ---------------------------------------------------------------------------------------------
# Decoy material
# ---------------------------------------------------------------------------------------------

_ICD10 = (
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("J45.909", "Unspecified asthma, uncomplicated"),
    ("M54.50", "Low back pain, unspecified"),
    ("F41.1", "Generalized anxiety disorder"),
    ("Z00.00", "Encounter for general adult medical examination"),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("N39.0", "Urinary tract infection, site not specified"),
    ("R51.9", "Headache, unspecified"),
    ("J06.9", "Acute upper respiratory infection, unspecified"),
    ("E66.9", "Obesity, unspecified"),
    ("G43.909", "Migraine, unspecified"),
    ("M17.11", "Unilateral primary osteoarthritis, right knee"),
    ("Z23", "Encounter for immunization"),
    ("I25.10", "Atherosclerotic heart disease of native coronary artery"),
    ("E03.9", "Hypothyroidism, unspecified"),
    ("F32.A", "Depression, unspecified"),
    ("L40.0", "Psoriasis vulgaris"),
    ("H52.4", "Presbyopia"),
)
_CPT = ("99213", "99214", "99203", "80053", "85025", "36415", "90471", "90686", "93000", "99396", "71046")
_SPECIALTY = (
    "cardiology",
    "endocrinology",
    "orthopedics",
    "dermatology",
    "neurology",
    "GI",
    "physical therapy",
)


def _order_id(r: random.Random) -> str:
    kind = r.randrange(4)
    year = r.randrange(2021, 2026)
    if kind == 0:
        return f"ORD-{year}-{r.randrange(10**6):06d}"
    if kind == 1:
        return f"INV {year} {r.randrange(10**4):04d}"
    if kind == 2:
        return f"INV-{year}-{r.randrange(10**5):05d}"
    return str(r.randrange(10**9, 10**12))


def _amount(r: random.Random) -> str:
    v = r.choice((r.uniform(1, 99), r.uniform(100, 999), r.uniform(1000, 25000)))
    s = f"{v:,.2f}"
    return f"-{s}" if r.random() < 0.1 else s


def _version(r: random.Random) -> str:
    kind = r.randrange(4)
    if kind == 0:
        return f"{r.randrange(1, 9)}.{r.randrange(10)}.{r.randrange(10)}.{r.randrange(10)}"
    if kind == 1:
        return f"v10.0.{r.choice((19045, 22631, 19044))}.{r.randrange(1, 4000)}"
    if kind == 2:
        return f"{r.randrange(1, 18)}.{r.randrange(10)}.{r.randrange(10)}"
    return f"10.0.{r.choice((19045, 22631, 26100))}"


def _tracking(r: random.Random) -> str:
    return r.choice(
        (
            f"1Z{''.join(r.choice(_LETTERS + '0123456789') for _ in range(6))}{_digits(r, 10)}",
            f"9400{_digits(r, 18)}",
            f"TBA{_digits(r, 12)}",
        )
    )


def _iso_ts(r: random.Random, year0: int = 2023) -> str:
    d = dt.datetime(year0, 1, 1) + dt.timedelta(seconds=r.randrange(0, 2 * 365 * 86400))
    return d.strftime(r.choice(("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d")))


# ---------------------------------------------------------------------------------------------
# 1. healthcare_intake (CSV)
# ---------------------------------------------------------------------------------------------


def _healthcare(ctx: _Ctx, n: int) -> tuple[dict[str, np.ndarray], pa.Table]:
    rng, r = ctx.streams("healthcare_intake")
    P, L = ctx.people, _Labels()
    gi = P.sample(rng, n, {"en_US": 0.82, "es_ES": 0.07, "en_IN": 0.06, "it_IT": 0.05})
    us = P.sample(rng, n, {"en_US": 1.0})
    c: dict[str, np.ndarray] = {}

    c["patient_id"] = _obj([_mrn(r) for _ in range(n)])
    L.mark("patient_id", "MRN", np.arange(n))

    c["first_name"] = _mess(P.first[gi].copy(), rng, upper=0.08, lower=0.02, pad=0.04)
    c["last_name"] = _mess(P.last[gi].copy(), rng, upper=0.1, lower=0.02, pad=0.04)
    L.mark("first_name", "PERSON_NAME", np.arange(n))
    L.mark("last_name", "PERSON_NAME", np.arange(n))

    dob = _pick2(P.dob_forms, gi, rng, _DOB_US)
    _blank(dob, rng.random(n) < 0.03)
    c["dob"] = dob
    L.mark_present("dob", "DATE_OF_BIRTH", dob)

    c["sex"] = _obj(rng.choice(np.array(["F", "M", "F", "M", "X", "U"]), n).tolist())

    kind = _cat(rng, n, (58, 18, 5, 8, 5, 4, 2))
    ssn = np.empty(n, dtype=object)
    for i in range(n):
        a, g, s = P.ssn[us[i]]
        k = kind[i]
        if k == 0:
            ssn[i] = f"{a}-{g}-{s}"
        elif k == 1:
            ssn[i] = a + g + s
        elif k == 2:
            ssn[i] = f"{a} {g} {s}"
        elif k == 3:
            ssn[i] = None
        elif k == 4:
            ssn[i] = r.choice(_PLACEHOLDERS)
        elif k == 5:
            ssn[i] = r.choice(("***-**-", "XXX-XX-", "xxx-xx-", "###-##-")) + s
        else:
            ssn[i] = r.choice(("000-00-0000", "999-99-9999"))
    c["ssn"] = _mess(ssn, rng, pad=0.03)
    L.mark("ssn", "SSN", kind <= 2)

    kind = _cat(rng, n, (45, 43, 6, 6))
    contact = np.empty(n, dtype=object)
    nat = _pick2(P.nat, us, rng)
    intl = _pick2(P.intl, us, rng)
    for i in range(n):
        k = kind[i]
        email = P.email[gi[i]]
        u = r.random()
        phone = nat[i] if u < 0.72 else intl[i] if u < 0.86 else P.rfc[us[i]] if u < 0.92 else None
        if phone is None:
            phone = f"{nat[i]} {r.choice(('ext. ', 'ext ', 'x'))}{r.randrange(10, 9999)}"
        if k == 0:
            contact[i] = email
        elif k == 1:
            contact[i] = phone
        elif k == 2:
            contact[i] = r.choice(("{e} / {p}", "{p}; {e}", "email {e}, cell {p}", "{e} ({p})")).format(
                e=email, p=phone
            )
        else:
            contact[i] = None
    c["contact"] = _mess(contact, rng, pad=0.03)
    L.mark("contact", "EMAIL", (kind == 0) | (kind == 2))
    L.mark("contact", "PHONE", (kind == 1) | (kind == 2))

    address = _mess(P.street[us].copy(), rng, upper=0.06, pad=0.03)
    _blank(address, rng.random(n) < 0.02)
    c["address"] = address
    L.mark_present("address", "STREET_ADDRESS", address)
    c["city"] = _mess(P.city[us].copy(), rng, upper=0.06)
    c["state"] = P.state[us].copy()
    zips = P.postcode[us].copy()
    _blank(zips, rng.random(n) < 0.02)
    c["zip"] = zips
    L.mark_present("zip", "ZIP_CODE", zips)

    member = _obj([_health_plan_id(r) for _ in range(n)])
    _blank(member, rng.random(n) < 0.06)
    self_pay = rng.random(n) < 0.03
    _blank(member, self_pay, ("SELF PAY", "self-pay", "N/A", "none"), rng)
    c["insurance_member_id"] = member
    L.mark_present("insurance_member_id", "HEALTH_PLAN_ID", member, ~self_pay)

    providers = max(10, n // 40)
    prov_npi = _obj([_npi(r) for _ in range(providers)])
    prov_gi = P.sample(rng, providers, {"en_US": 0.7, "en_IN": 0.15, "es_ES": 0.15})
    prov_names = []
    for j in range(providers):
        f, la = P.first[prov_gi[j]], P.last[prov_gi[j]]
        prov_names.append(
            r.choice((f"Dr. {f} {la}", f"{la.upper()}, {f.upper()} MD", f"{f} {la}, MD", f"{la}, {f}"))
        )
    prov = rng.integers(0, providers, n)
    npi = prov_npi[prov].copy()
    pcp_name = _obj([prov_names[p] for p in prov])
    no_pcp = rng.random(n) < 0.05
    _blank(npi, no_pcp)
    _blank(pcp_name, no_pcp)
    c["pcp_name"] = pcp_name
    c["pcp_npi"] = npi
    L.mark_present("pcp_name", "PERSON_NAME", pcp_name)
    L.mark_present("pcp_npi", "NPI", npi)

    c["claim_ref"] = _obj(
        [
            f"CLM-{r.randrange(2022, 2026)}-{r.randrange(10**7):07d}" if r.random() < 0.7 else _invalid_ssn(r)
            for _ in range(n)
        ]
    )
    dx = rng.integers(0, len(_ICD10), n)
    c["diagnosis"] = _obj(
        [
            r.choice(("{c} {t}", "{c} - {t}", "{t} ({c})", "{c}")).format(c=_ICD10[d][0], t=_ICD10[d][1])
            for d in dx
        ]
    )
    c["cpt_codes"] = _obj([r.choice(("; ", ", ")).join(r.sample(_CPT, r.randint(1, 3))) for _ in range(n)])
    c["visit_date"] = _obj([_iso_ts(r) for _ in range(n)])
    c["copay"] = _obj([r.choice(("25.00", "$40.00", "0.00", "15", "$1,234.56")) for _ in range(n)])

    def s_ssn_kw(i: int) -> tuple[str, Sequence[str]]:
        a, g, s = P.ssn[us[i]]
        return r.choice(
            (
                f"Patient SSN {a}{g}{s} verified at registration.",
                f"SSN {a} {g} {s} confirmed with patient.",
                f"social security number: {a}{g}{s} on file.",
                f"SS# {a}-{g}-{s} per insurance card.",
                f"Updated demographics; ssn {a}-{g}-{s}.",
                f"Pt provided SSN: {a}-{g}-{s}.",
            )
        ), ("SSN",)

    def s_ssn_bare(i: int) -> tuple[str, Sequence[str]]:
        a, g, s = P.ssn[us[i]]
        return f"ID checked against card, {a}-{g}-{s} matches billing.", ("SSN",)

    def phone_text(j: int) -> str:
        u = r.random()
        if u < 0.7:
            return P.nat[j, r.randrange(6)]
        return P.intl[j, r.randrange(5)]

    def s_phone(i: int) -> tuple[str, Sequence[str]]:
        j = us[(i * 7 + 3) % n]  # a relative's number
        p = phone_text(j)
        nsn = P.nat[j, 4]
        return r.choice(
            (
                f"Called pt at {p} re: lab results, left voicemail.",
                f"Daughter asks for a call back at {p}.",
                f"Pt's cell phone: {p}.",
                f"mobile {p}, prefers text.",
                f"tel {nsn}",
                f"Husband can be reached on {p} after 5pm.",
                f"Son ({p}) will drive pt home.",
            )
        ), ("PHONE",)

    def s_dob(i: int) -> tuple[str, Sequence[str]]:
        d = P.dob_forms[gi[i], r.choice(_DOB_US)]
        return r.choice(
            (
                f"DOB {d} confirmed with photo ID.",
                f"date of birth: {d}.",
                f"Pt born on {d}, verified.",
                f"Two identifiers used (name, DOB: {d}).",
                f"born {d}",
            )
        ), ("DATE_OF_BIRTH",)

    def s_mrn(i: int) -> tuple[str, Sequence[str]]:
        m = _mrn(r, text=True)
        return r.choice(
            (
                f"Records merged into MRN {m}.",
                f"Old chart # {m} archived.",
                f"medical record number {m} requested by outside hospital.",
                f"Duplicate chart, see MRN: {m}.",
            )
        ), ("MRN",)

    def s_email(i: int) -> tuple[str, Sequence[str]]:
        e = P.email[gi[i]]
        return r.choice(
            (
                f"Portal invite sent to {e}.",
                f"Pt prefers e-mail: {e}",
                f"Results emailed to {e} per pt request.",
            )
        ), ("EMAIL",)

    def s_referral(i: int) -> tuple[str, Sequence[str]]:
        p = prov[(i * 13 + 5) % n]
        la = P.last[prov_gi[p]]
        spec = r.choice(_SPECIALTY)
        if r.random() < 0.6:
            return f"Referred by Dr. {la} (NPI {prov_npi[p]}) for {spec} consult.", ("NPI", "PERSON_NAME")
        return f"Referred to Dr. {P.first[prov_gi[p]]} {la} for {spec}.", ("PERSON_NAME",)

    def s_member(i: int) -> tuple[str, Sequence[str]]:
        h = _health_plan_id(r)
        return r.choice(
            (
                f"Insurance ID {h} verified; copay $25.00.",
                f"member ID {h} inactive, pt to bring new card.",
                f"policy # {h} on file.",
            )
        ), ("HEALTH_PLAN_ID",)

    def s_address(i: int) -> tuple[str, Sequence[str]]:
        j = us[(i * 11 + 1) % n]
        return (
            f"Moved to {_us_street(r)}, {P.city[j]}, {P.state[j]} {P.postcode[j]}; update mailing address.",
            ("STREET_ADDRESS", "ZIP_CODE"),
        )

    def s_emergency(i: int) -> tuple[str, Sequence[str]]:
        j = gi[(i * 5 + 2) % n]
        title = r.choice(("Mrs.", "Mr.", "Ms."))
        p = phone_text(us[(i * 5 + 2) % n])
        if r.random() < 0.5:
            return f"Emergency contact: {title} {P.first[j]} {P.last[j]}, mobile {p}.", (
                "PERSON_NAME",
                "PHONE",
            )
        return f"Emergency contact updated, Name: {P.first[j]} {P.last[j]}.", ("PERSON_NAME",)

    def d_followup(i: int) -> tuple[str, Sequence[str]]:
        code, text = _ICD10[dx[i]]
        return r.choice(
            (
                f"Pt seen for follow-up of {text.lower()} ({code}). Vitals stable, continue current meds.",
                f"A1c {r.randrange(55, 110) / 10}% on {_iso_ts(r)}; continue metformin 500 mg BID.",
                f"BP {r.randrange(105, 160)}/{r.randrange(60, 100)}, HR {r.randrange(55, 100)}, temp 98.{r.randrange(10)} F.",
                "Rx refill authorized x3, follow up in 3 months.",
                f"Billed CPT {r.choice(_CPT)} with {code}.",
                "No acute distress. Pt counseled on diet and exercise.",
            )
        ), ()

    def d_admin(i: int) -> tuple[str, Sequence[str]]:
        return r.choice(
            (
                f"DME order {_order_id(r)} shipped, tracking {_tracking(r)}.",
                "SSN on file is 000-00-0000, registration to correct.",
                f"Last 4 of SSN only: ***-**-{_digits(r, 4)}.",
                f"Lab accession {r.randrange(2023, 2026)}-{_digits(r, 6)}, results normal.",
                f"Balance {_amount(r)} sent to collections on {_iso_ts(r)}.",
                "SSN not provided, pt declined.",
                f"Claim {_invalid_ssn(r)} resubmitted.",
            )
        ), ()

    sentences = (
        (6, s_ssn_kw),
        (2, s_ssn_bare),
        (8, s_phone),
        (5, s_dob),
        (5, s_mrn),
        (5, s_email),
        (5, s_referral),
        (4, s_member),
        (3, s_address),
        (4, s_emergency),
        (22, d_followup),
        (12, d_admin),
    )
    c["notes"] = _obj(_text_builder(sentences, (15, 45, 32, 8), rng, r, n, L, "notes"))
    c["consent"] = _obj(rng.choice(np.array(["Y", "N", "yes", "no", "TRUE", "false", "Y", ""]), n).tolist())
    return c, L.table()


# ---------------------------------------------------------------------------------------------
# 2. financial_ledger (JSONL)
# ---------------------------------------------------------------------------------------------

# Customers' locales (weights).
_FINANCIAL_MIX = dict(zip(LOCALES, (0.2, 0.15, 0.15, 0.12, 0.1, 0.1, 0.1, 0.08), strict=True))
_CRM_MIX = dict(zip(LOCALES, (0.3, 0.15, 0.12, 0.1, 0.08, 0.08, 0.08, 0.09), strict=True))
_CURRENCY = {"US": "USD", "GB": "GBP", "IN": "INR"}
_IBAN_COUNTRIES = ("DE", "GB", "FR", "NL", "ES", "IT")


def _financial(ctx: _Ctx, n: int) -> tuple[dict[str, np.ndarray], pa.Table]:
    rng, r = ctx.streams("financial_ledger")
    P, L = ctx.people, _Labels()
    gi = P.sample(rng, n, _FINANCIAL_MIX)
    region = P.region[gi]
    fk = ctx.fakers["en_US"]
    c: dict[str, np.ndarray] = {}
    ts = _timestamps(rng, n, "2024-01-01T00:00:00", 365)
    c["txn_id"] = _obj(
        [
            f"TXN-{str(t)[:10].replace('-', '')}-{r.randrange(10**6):06d}"
            if r.random() < 0.6
            else str(r.randrange(10**9, 10**12))
            for t in ts
        ]
    )
    c["timestamp"] = _obj([f"{t}Z" for t in ts.astype(str)])
    c["customer_id"] = _obj([f"CUST-{g * 7919 % 10**7:07d}" for g in gi])

    name = _obj([_display_name(P.first[g], P.last[g], r, (75, 10, 8, 0, 7)) for g in gi])
    c["customer_name"] = _mess(name, rng, pad=0.03)
    L.mark("customer_name", "PERSON_NAME", np.arange(n))
    c["country"] = region.copy()

    email = P.email[gi].copy()
    _blank(email, rng.random(n) < 0.08)
    c["email"] = email
    L.mark_present("email", "EMAIL", email)

    phone = np.where(rng.random(n) < 0.7, _pick2(P.intl, gi, rng), _pick2(P.nat, gi, rng))
    _blank(phone, rng.random(n) < 0.05)
    c["phone"] = phone
    L.mark_present("phone", "PHONE", phone)

    has_iban = np.isin(region, _IBAN_COUNTRIES)
    is_card = rng.random(n) < 0.6
    method = np.empty(n, dtype=object)
    for i in range(n):
        if is_card[i]:
            method[i] = r.choice(("card", "card", "card_present", "ecommerce"))
        elif has_iban[i]:
            method[i] = r.choice(("sepa_transfer", "sepa_direct_debit", "wire"))
        else:
            method[i] = r.choice(("ach", "wire")) if region[i] == "US" else r.choice(("upi", "neft"))
    c["payment_method"] = method

    cards = [_card(r) for _ in range(n)]
    card_kind = _cat(rng, n, (40, 33, 22, 5))
    card_col = np.empty(n, dtype=object)
    cvv = np.empty(n, dtype=object)
    holder = np.empty(n, dtype=object)
    cvv_ok = np.zeros(n, dtype=bool)
    for i in range(n):
        if not is_card[i]:
            continue
        k = card_kind[i]
        if k < 3:
            card_col[i] = _card_forms(cards[i])[k]
        else:
            card_col[i] = r.choice(("XXXX-XXXX-XXXX-", "************", "xxxx xxxx xxxx ")) + cards[i][-4:]
        u = r.random()
        if u < 0.8:
            cvv[i] = _digits(r, 4 if len(cards[i]) == 15 else 3)
            cvv_ok[i] = True
        elif u < 0.9:
            cvv[i] = "***"
        f, la = P.first[gi[i]], P.last[gi[i]]
        holder[i] = f"{f} {la}".upper() if r.random() < 0.7 else f"{f} {la}"
    c["card_number"] = card_col
    c["cardholder"] = holder
    c["cvv"] = cvv
    L.mark("card_number", "CREDIT_CARD", is_card & (card_kind < 3))
    L.mark_present("cardholder", "PERSON_NAME", holder)
    L.mark("cvv", "CARD_CVV", cvv_ok)

    iban = np.empty(n, dtype=object)
    acct = np.empty(n, dtype=object)
    bad_ibans: list[str] = []
    for i in range(n):
        reg = region[i]
        if has_iban[i]:
            bban, number = _bban(reg, r)
            full = _iban(reg, bban)
            if len(bad_ibans) < 64:
                bad_ibans.append(_bad_iban(full))
            if not is_card[i]:
                iban[i] = _iban_forms(full)[r.randrange(2)]
            acct[i] = number
        else:
            acct[i] = _account_number(reg, r)
        if r.random() < 0.1:
            acct[i] = None
        elif r.random() < 0.1 and acct[i]:
            a = acct[i]
            acct[i] = f"{a[:4]}-{a[4:]}" if len(a) > 8 else a
    c["iban"] = iban
    c["account_number"] = acct
    L.mark_present("iban", "IBAN", iban)
    L.mark_present("account_number", "BANK_ACCOUNT", acct)

    amounts = np.round(rng.lognormal(3.5, 1.2, n), 2)
    amounts[rng.random(n) < 0.08] *= -1
    c["amount"] = _obj(amounts.tolist())
    c["currency"] = _obj([_CURRENCY.get(reg, "EUR") for reg in region])
    merchants = [fk.company() for _ in range(min(n, 300))]
    c["merchant"] = _obj([merchants[k] for k in rng.integers(0, len(merchants), n)])
    c["mcc"] = _obj(
        rng.choice(np.array(["5411", "5812", "4121", "5999", "4900", "5732", "7011"]), n).tolist()
    )
    c["auth_ref"] = _obj(
        [_luhn_invalid_ref(r) if r.random() < 0.5 else f"{r.getrandbits(24):06X}" for _ in range(n)]
    )

    def s_card(i: int) -> tuple[str, Sequence[str]]:
        k = cards[(i * 7 + 1) % n]
        f = _card_forms(k)[r.randrange(3)]
        return r.choice(
            (
                f"Refund issued to card {f}.",
                f"Customer disputes charge on {f}.",
                f"Replacement card {f} activated.",
            )
        ), ("CREDIT_CARD",)

    def s_iban(i: int) -> tuple[str, Sequence[str]]:
        reg = r.choice(_IBAN_COUNTRIES)
        full = _iban(reg, _bban(reg, r)[0])
        f = _iban_forms(full)[r.randrange(2)]
        return r.choice(
            (
                f"Transfer to IBAN {f} ref {_order_id(r)}.",
                f"Beneficiary changed to {f}.",
                f"Salary from IBAN: {f}",
            )
        ), ("IBAN",)

    def s_acct(i: int) -> tuple[str, Sequence[str]]:
        a = _account_number(r.choice(("US", "GB", "DE", "IN")), r)
        return r.choice(
            (
                f"acct {a} overdraft fee reversed.",
                f"Funds moved from account # {a} to savings.",
                f"Linked acct #{a} for autopay.",
            )
        ), ("BANK_ACCOUNT",)

    def s_phone(i: int) -> tuple[str, Sequence[str]]:
        g = gi[i]
        p = P.intl[g, r.randrange(5)] if r.random() < 0.6 else P.nat[g, r.randrange(6)]
        return r.choice(
            (
                f"Customer asked to call back on {p}.",
                f"Verified by phone {p}.",
                f"OTP sent to {p}.",
            )
        ), ("PHONE",)

    def s_email(i: int) -> tuple[str, Sequence[str]]:
        return f"Receipt sent to {P.email[gi[i]]}.", ("EMAIL",)

    def s_name(i: int) -> tuple[str, Sequence[str]]:
        return f"Card holder {r.choice(('Mr.', 'Mrs.', 'Ms.'))} {P.last[gi[i]]} verified.", ("PERSON_NAME",)

    def d_memo(i: int) -> tuple[str, Sequence[str]]:
        return r.choice(
            (
                f"Payment for invoice {_order_id(r)}.",
                f"Order {_order_id(r)} ({r.randint(1, 12)} items).",
                f"Chargeback case {r.randrange(10**9, 10**10)} opened.",
                f"Batch ref {' '.join(_luhn_invalid_ref(r)[k : k + 4] for k in range(0, 16, 4))}.",
                f"Paid with card ending {_digits(r, 4)}.",
                f"Rejected: invalid IBAN {r.choice(bad_ibans) if bad_ibans else 'DE00 0000'}.",
                f"FX rate {r.uniform(0.8, 1.4):.4f} applied.",
                f"Fee {_amount(r)} waived.",
                "Recurring subscription renewal.",
                f"Card XXXX-XXXX-XXXX-{_digits(r, 4)} declined, insufficient funds.",
            )
        ), ()

    sentences = (
        (5, s_card),
        (5, s_iban),
        (5, s_acct),
        (5, s_phone),
        (3, s_email),
        (3, s_name),
        (30, d_memo),
    )
    c["memo"] = _obj(_text_builder(sentences, (25, 55, 20), rng, r, n, L, "memo", lower=0.0))
    c["status"] = _obj(
        rng.choice(np.array(["settled", "pending", "reversed", "declined", "settled"]), n).tolist()
    )
    return c, L.table()


# ---------------------------------------------------------------------------------------------
# 3. device_pings (Parquet)
# ---------------------------------------------------------------------------------------------

_CITIES = (
    (42.3601, -71.0589),
    (40.7128, -74.0060),
    (37.7749, -122.4194),
    (51.5074, -0.1278),
    (52.5200, 13.4050),
    (48.8566, 2.3522),
    (52.3676, 4.9041),
    (40.4168, -3.7038),
    (41.9028, 12.4964),
    (19.0760, 72.8777),
    (-33.8688, 151.2093),
)


def _decimals(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Round each value to its number of decimals, forcing a non-zero last digit when >= 3 so
    the written value really has that many decimals."""
    scale = 10.0**decimals
    scaled = np.round(values * scale)
    fix = (decimals >= 3) & (np.mod(scaled, 10) == 0)
    scaled = np.where(fix, scaled + 1, scaled)
    return scaled / scale


def _devices(ctx: _Ctx, n: int) -> tuple[dict[str, pa.Array], pa.Table]:
    rng, r = ctx.streams("device_pings")
    P, L = ctx.people, _Labels()
    fk = ctx.fakers["en_US"]
    d = int(np.clip(n // 20, 40, 8000))
    dev_id = _obj([_device_id(r) for _ in range(d)])
    dev_os = rng.choice(3, d, p=[0.45, 0.5, 0.05])  # iOS, Android, Windows
    dev_mac = _obj([None if dev_os[k] == 0 and r.random() < 0.6 else _mac(r) for k in range(d)])
    owners = P.sample(rng, d, dict.fromkeys(LOCALES, 1.0))
    dev_email = P.email[owners].copy()
    _blank(dev_email, rng.random(d) < 0.25)
    home = np.array(_CITIES)[rng.integers(0, len(_CITIES), d)] + rng.normal(0, 0.08, (d, 2))
    dev_osver = _obj(
        [
            f"{r.randint(14, 17)}.{r.randrange(8)}.{r.randrange(3)}"
            if o == 0
            else str(r.randint(10, 14))
            if o == 1
            else _version(r)
            for o in dev_os
        ]
    )
    dev_fw = _obj(
        [f"{r.randrange(1, 6)}.{r.randrange(10)}.{r.randrange(20)}.{r.randrange(100)}" for _ in range(d)]
    )

    dev = rng.integers(0, d, n)
    c: dict[str, pa.Array] = {}
    c["event_id"] = pa.array([f"evt_{r.getrandbits(48):012x}" for _ in range(n)])
    c["device_id"] = pa.array(dev_id[dev].tolist(), pa.string())
    L.mark("device_id", "DEVICE_ID", np.arange(n))
    mac = dev_mac[dev]
    c["mac"] = pa.array(mac.tolist(), pa.string())
    L.mark_present("mac", "DEVICE_ID", mac)

    ip_pool = _obj([_ip(fk, r) for _ in range(max(50, min(n, 5000)))])
    ip = ip_pool[rng.integers(0, len(ip_pool), n)]
    _blank(ip, rng.random(n) < 0.03)
    c["ip"] = pa.array(ip.tolist(), pa.string())
    L.mark_present("ip", "IP_ADDRESS", ip)

    pos = home[dev] + rng.normal(0, 0.01, (n, 2))
    decimals = rng.choice(np.array([6, 5, 4, 3, 2, 1]), n, p=[0.52, 0.3, 0.04, 0.03, 0.09, 0.02])
    lat = _decimals(pos[:, 0], decimals)
    lon = _decimals(pos[:, 1], decimals)
    no_fix = rng.random(n) < 0.03
    c["latitude"] = pa.array(lat, pa.float64(), mask=no_fix)
    c["longitude"] = pa.array(lon, pa.float64(), mask=no_fix)
    precise = (decimals >= 3) & ~no_fix
    L.mark("latitude", "GPS_COORDINATES", precise)
    L.mark("longitude", "GPS_COORDINATES", precise)
    accuracy = np.where(
        decimals >= 3, np.round(rng.gamma(2.0, 8.0, n), 1), np.round(rng.uniform(500, 5000, n), 0)
    )
    c["accuracy_m"] = pa.array(accuracy, pa.float64(), mask=no_fix)
    c["altitude_m"] = pa.array(np.round(rng.normal(40, 30, n), 1), pa.float64())
    c["os"] = pa.array(np.array(["iOS", "Android", "Windows"])[dev_os[dev]].tolist(), pa.string())
    c["os_version"] = pa.array(dev_osver[dev].tolist(), pa.string())
    c["firmware"] = pa.array(dev_fw[dev].tolist(), pa.string())
    c["app_version"] = pa.array([f"5.{r.randrange(20)}.{r.randrange(5)}" for _ in range(n)], pa.string())
    c["battery"] = pa.array(rng.integers(1, 101, n), pa.int32())
    ts = _timestamps(rng, n, "2024-06-01T00:00:00", 60).astype("datetime64[ms]")
    c["event_ts"] = pa.array(ts, pa.timestamp("ms", tz="UTC"))
    c["event_type"] = pa.array(
        rng.choice(
            np.array(["location_update", "geofence_enter", "geofence_exit", "app_open", "heartbeat"]), n
        ).tolist()
    )
    email = dev_email[dev]
    c["user_email"] = pa.array(email.tolist(), pa.string())
    L.mark_present("user_email", "EMAIL", email)
    c["user_hash"] = pa.array(
        [hashlib.sha256(str(e).encode()).hexdigest() if e is not None else None for e in email], pa.string()
    )
    return c, L.table()


# ---------------------------------------------------------------------------------------------
# 4. crm_export (CSV)
# ---------------------------------------------------------------------------------------------


def _crm(ctx: _Ctx, n: int) -> tuple[dict[str, np.ndarray], pa.Table]:
    rng, r = ctx.streams("crm_export")
    P, L = ctx.people, _Labels()
    gi = P.sample(rng, n, _CRM_MIX)
    region = P.region[gi]
    us = P.sample(rng, n, {"en_US": 1.0})
    c: dict[str, np.ndarray] = {}
    c["customer_id"] = _obj([f"CUST-{r.randrange(10**6):06d}" for _ in range(n)])

    name = _obj([_display_name(P.first[g], P.last[g], r, (70, 12, 0, 8, 10)) for g in gi])
    c["full_name"] = _mess(name, rng, upper=0.05, lower=0.02, pad=0.05)
    L.mark("full_name", "PERSON_NAME", np.arange(n))

    companies = {loc: [ctx.fakers[loc].company() for _ in range(60)] for loc in LOCALES}
    company = _obj([r.choice(companies[P.loc[g]]) if r.random() < 0.8 else None for g in gi])
    c["company"] = company
    jobs = [ctx.fakers["en_US"].job() for _ in range(150)]
    c["job_title"] = _obj([r.choice(jobs) if r.random() < 0.85 else None for _ in range(n)])

    kind = _cat(rng, n, (45, 35, 12, 8))
    nat = _pick2(P.nat, gi, rng)
    intl = _pick2(P.intl, gi, rng)
    contact = np.empty(n, dtype=object)
    for i in range(n):
        e = P.email[gi[i]]
        p = intl[i] if r.random() < 0.55 else nat[i]
        k = kind[i]
        if k == 0:
            contact[i] = r.choice(("{e}", "{e}", "email: {e}", "E-Mail: {e}", "<{e}>")).format(e=e)
        elif k == 1:
            contact[i] = r.choice(("{p}", "{p}", "Tel: {p}", "mobile {p}", "{p} (WhatsApp)")).format(p=p)
        elif k == 2:
            contact[i] = r.choice(("{e} | {p}", "{e}; mobile {p}", "{p} / {e}")).format(e=e, p=p)
    c["contact_info"] = _mess(contact, rng, pad=0.04)
    L.mark("contact_info", "EMAIL", (kind == 0) | (kind == 2))
    L.mark("contact_info", "PHONE", (kind == 1) | (kind == 2))

    # a second number of the same country (another person of the same locale)
    second = _obj([P.nat[(g + P.size // 2) % P.size + P.offset[P.loc[g]], r.randrange(6)] for g in gi])
    _blank(second, rng.random(n) < 0.3)
    c["secondary_phone"] = second
    L.mark_present("secondary_phone", "PHONE", second)

    web = np.empty(n, dtype=object)
    for i in range(n):
        if r.random() < 0.45:
            continue
        f, la = _ascii(P.first[gi[i]]) or "me", _ascii(P.last[gi[i]]) or "home"
        web[i] = r.choice(
            (
                f"https://www.linkedin.com/in/{f}-{la}-{r.getrandbits(24):06x}",
                f"https://{f}{la}.com",
                f"www.{la}-{f}.net",
                f"http://{la}.{r.choice(('de', 'fr', 'nl', 'co.uk', 'it', 'es', 'in', 'me'))}/about",
                f"https://github.com/{f[0]}{la}",
                f"https://twitter.com/{f}_{la}",
            )
        )
    c["website"] = web
    L.mark_present("website", "URL", web)

    street = _mess(P.street[gi].copy(), rng, upper=0.04, pad=0.03)
    _blank(street, rng.random(n) < 0.05)
    c["street"] = street
    L.mark_present("street", "STREET_ADDRESS", street)
    pc = P.postcode[gi].copy()
    _blank(pc, rng.random(n) < 0.05)
    c["postcode"] = pc
    L.mark_present("postcode", "ZIP_CODE", pc)
    c["city"] = P.city[gi].copy()
    c["country"] = _obj([r.choice(COUNTRY_SPELLINGS[reg]) for reg in region])

    fk = ctx.fakers["en_GB"]
    ips = _obj([_ip(fk, r) if r.random() < 0.9 else None for _ in range(n)])
    c["last_login_ip"] = ips
    L.mark_present("last_login_ip", "IP_ADDRESS", ips)
    c["last_login_at"] = _obj([_iso_ts(r) for _ in range(n)])
    c["lifetime_value"] = _obj([_amount(r) for _ in range(n)])

    passport = _obj([_passport(region[i], r) if r.random() < 0.15 else None for i in range(n)])
    c["passport_number"] = passport
    L.mark_present("passport_number", "PASSPORT", passport)
    dl = _obj(
        [
            _driver_license(region[i], r, P.first[gi[i]], P.last[gi[i]], P.dob[gi[i]])
            if r.random() < 0.2
            else None
            for i in range(n)
        ]
    )
    c["drivers_license"] = dl
    L.mark_present("drivers_license", "DRIVER_LICENSE", dl)
    vin = _obj([_vin(r) if company[i] is not None and r.random() < 0.12 else None for i in range(n)])
    c["vin"] = vin
    L.mark_present("vin", "VIN", vin)

    # A stream of its own: the columns above stay the same bytes as before national ids were added.
    _, nr = ctx.streams("crm_national_ids")
    national = np.empty(n, dtype=object)
    typo = np.zeros(n, dtype=bool)
    for i in range(n):
        g = gi[i]
        if nr.random() < 0.2:
            continue
        national[i] = _national_id(region[i], nr, P.first[g], P.last[g], P.dob[g])
        if national[i] is not None and nr.random() < 0.03:
            national[i], typo[i] = _broken_check(national[i], nr), True
    c["national_id"] = national
    L.mark_present("national_id", "NATIONAL_ID", national, ~typo)

    def s_email(i: int) -> tuple[str, Sequence[str]]:
        e = P.email[gi[(i * 3 + 1) % n]]
        return r.choice((f"Prefers contact via {e}.", f"New billing email {e}.", f"cc {e} on renewals")), (
            "EMAIL",
        )

    def s_phone(i: int) -> tuple[str, Sequence[str]]:
        g = gi[i]
        p = P.intl[g, r.randrange(5)] if r.random() < 0.5 else P.nat[g, r.randrange(6)]
        return r.choice(
            (f"Call {p} after 5pm.", f"phone: {p}", f"mobile {p} (preferred)", f"Left voicemail at {p}.")
        ), ("PHONE",)

    def s_dl(i: int) -> tuple[str, Sequence[str]]:
        g = gi[i]
        x = _driver_license(region[i], r, P.first[g], P.last[g], P.dob[g])
        return r.choice((f"DL # {x} on file.", f"driver's license {x} scanned for rental.")), (
            "DRIVER_LICENSE",
        )

    def s_passport(i: int) -> tuple[str, Sequence[str]]:
        return f"passport no. {_passport(region[i], r)} verified for travel booking.", ("PASSPORT",)

    def s_vin(i: int) -> tuple[str, Sequence[str]]:
        return r.choice((f"Fleet vehicle added, VIN {_vin(r)}.", f"VIN: {_vin(r)} on lease.")), ("VIN",)

    def s_addr(i: int) -> tuple[str, Sequence[str]]:
        j = us[i]
        return (
            f"Ship to {_us_street(r)}, {P.city[j]}, {P.state[j]} {P.postcode[j]}.",
            ("STREET_ADDRESS", "ZIP_CODE"),
        )

    def s_name(i: int) -> tuple[str, Sequence[str]]:
        j = gi[(i * 17 + 3) % n]
        if r.random() < 0.5:
            return f"Name: {P.first[j]} {P.last[j]} (billing contact).", ("PERSON_NAME",)
        return f"Spoke with {r.choice(('Mr.', 'Ms.', 'Mrs.', 'Dr.'))} {P.last[j]} about renewal.", (
            "PERSON_NAME",
        )

    def s_url(i: int) -> tuple[str, Sequence[str]]:
        f, la = _ascii(P.first[gi[i]]) or "me", _ascii(P.last[gi[i]]) or "home"
        return r.choice(
            (
                f"Profile: https://www.linkedin.com/in/{f}{la}",
                f"Personal site www.{f}{la}.com",
                f"See https://{la}.blog/{f}",
            )
        ), ("URL",)

    def s_ip(i: int) -> tuple[str, Sequence[str]]:
        return r.choice(
            (
                f"Failed login from {_ip(fk, r)} at {_iso_ts(r)}.",
                f"[auth] src={_ip(fk, r)} status=401 user locked",
            )
        ), ("IP_ADDRESS",)

    def s_zip(i: int) -> tuple[str, Sequence[str]]:
        return f"postal code {P.postcode[gi[i]]} on invoice is wrong.", ("ZIP_CODE",)

    def s_dob(i: int) -> tuple[str, Sequence[str]]:
        return f"Birthday promo: born on {P.dob_forms[gi[i], r.choice(_DOB_ANY)]}.", ("DATE_OF_BIRTH",)

    def s_national_id(i: int) -> tuple[str, Sequence[str]]:
        g = gi[i]
        reg = region[i] if region[i] != "US" else r.choice(("GB", "DE", "FR", "NL", "ES", "IT", "IN"))
        v = _national_id(reg, r, P.first[g], P.last[g], P.dob[g])
        kind = "GB-NINO" if reg == "GB" and v[0].isalpha() else reg
        return r.choice(_NATIONAL_ID_KEYWORDS[kind]).format(v=v) + ".", ("NATIONAL_ID",)

    def d_national_id(i: int) -> tuple[str, Sequence[str]]:
        # A wrong check after the keyword, or a valid number without one: neither is labelled.
        reg = r.choice(("GB", "DE", "FR", "NL", "ES", "IN"))
        g = gi[i]
        v = _national_id(reg, r, P.first[g], P.last[g], P.dob[g])
        kind = "GB-NINO" if reg == "GB" and v[0].isalpha() else reg
        if r.random() < 0.5:
            note = r.choice(_NATIONAL_ID_KEYWORDS[kind]).format(v=_broken_check(v, r))
            return f"{note} (typo, asked again).", ()
        if kind == "GB-NINO":  # a NINO delimits itself: counted without a keyword, so not a decoy
            v = _nhs_number(r)
        # Compact: spaced 3-3-4 digits read as a phone number, which a labeller may well mark.
        v = v.replace(" ", "") if kind != "FR" else v
        return r.choice((f"Reference {v} closed.", f"Batch {v} exported.")), ()

    def d_comment(i: int) -> tuple[str, Sequence[str]]:
        return r.choice(
            (
                f"Renewal quote Q-{r.randrange(2023, 2026)}-{r.randrange(10**4):04d} sent.",
                f"Order {_order_id(r)} delayed.",
                f"Upgraded client to version {_version(r)}.",
                f"SKU {r.choice(_LETTERS)}{r.choice(_LETTERS)}-{r.randrange(1000, 9999)}-{r.choice(('S', 'M', 'L', 'XL'))} backordered.",
                f"Ticket #{r.randrange(10000, 99999)} closed.",
                f"Invoice {_order_id(r)} paid, {_amount(r)} EUR.",
                f"Meeting on {_iso_ts(r)} re: contract.",
                "Asked to be removed from newsletter.",
                f"Discount {r.randrange(5, 30)}% approved by sales.",
                f"Shipment tracking {_tracking(r)}.",
            )
        ), ()

    sentences = (
        (5, s_email),
        (5, s_phone),
        (3, s_dl),
        (3, s_passport),
        (3, s_vin),
        (3, s_addr),
        (4, s_name),
        (3, s_url),
        (3, s_ip),
        (2, s_zip),
        (2, s_dob),
        (3, s_national_id),
        (2, d_national_id),
        (30, d_comment),
    )
    c["comments"] = _obj(_text_builder(sentences, (25, 45, 25, 5), rng, r, n, L, "comments", lower=0.0))
    c["status"] = _obj(rng.choice(np.array(["active", "churned", "lead", "VIP", "active"]), n).tolist())
    return c, L.table()


# ---------------------------------------------------------------------------------------------
# National identifiers of the non-US locales (NATIONAL_ID), each from its issuer's definition
# ---------------------------------------------------------------------------------------------

_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # HMRC: never D, F, I, Q, U, V first; never D, F, I, O, Q, U, V second
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_UNUSED = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
_DNI_LETTER = "TRWAGMYFPDXBNJZSQVHLCKE"
_CF_MONTH = "ABCDEHLMPRST"
_CF_ODD_VALUE = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


def _verhoeff_tables() -> tuple[list[list[int]], list[list[int]], list[int]]:
    """The dihedral group D5 (multiplication), Verhoeff's position permutation and the inverses."""

    def multiply(a: int, b: int) -> int:  # D5 as rotations 0-4 and reflections 5-9
        if a < 5 and b < 5:
            return (a + b) % 5
        if a < 5:
            return 5 + (a + b - 5) % 5
        if b < 5:
            return 5 + (a - 5 - b) % 5
        return (a - b) % 5

    table = [[multiply(a, b) for b in range(10)] for a in range(10)]
    sigma = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)
    permutations = [list(range(10))]
    for _ in range(7):
        permutations.append([sigma[v] for v in permutations[-1]])
    inverse = [next(b for b in range(10) if table[a][b] == 0) for a in range(10)]
    return table, permutations, inverse


def _verhoeff_digit(payload: str) -> str:
    table, permutations, inverse = _verhoeff_tables()
    check = 0
    for i, ch in enumerate(reversed(payload)):
        check = table[check][permutations[(i + 1) % 8][int(ch)]]
    return str(inverse[check])


def _nhs_number(r: random.Random) -> str:
    """NHS England/Wales (4xx, 6xx-7xx): weights 10..2, check 11 - sum mod 11 (10 is never issued)."""
    while True:
        body = str(r.choice((4, 6, 7))) + _digits(r, 8)
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return body + str(check % 11)


def _nino(r: random.Random) -> str:
    while True:
        prefix = r.choice(_NINO_FIRST) + r.choice(_NINO_SECOND)
        if prefix not in _NINO_UNUSED:
            return prefix + _digits(r, 6) + r.choice("ABCD")


def _nir(r: random.Random, dob: dt.date) -> str:
    """Sex, year, month of birth, department (2A/2B: Corsica), commune, order, key 97 - n mod 97."""
    department = r.choice(("75", "69", "13", "33", "59", "2A", "2B", "67", "31", "44"))
    body = f"{r.choice('12')}{dob.year % 100:02d}{dob.month:02d}{department}{r.randrange(1, 990):03d}{r.randrange(1, 999):03d}"
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


def _dni(r: random.Random) -> str:
    if r.random() < 0.8:
        number = r.randrange(10**7, 10**8)
        return f"{number:08d}{_DNI_LETTER[number % 23]}"
    prefix = r.randrange(3)  # NIE: X/Y/Z stand for 0/1/2
    number = r.randrange(10**7)
    return f"{'XYZ'[prefix]}{number:07d}{_DNI_LETTER[(prefix * 10**7 + number) % 23]}"


def _consonants(name: str) -> str:
    letters = [c for c in unicodedata.normalize("NFKD", name.upper()) if c in _LETTERS]
    consonants = [c for c in letters if c not in "AEIOU"]
    return "".join(consonants + [c for c in letters if c in "AEIOU"] + ["X"] * 3)


def _codice_fiscale(r: random.Random, first: str, last: str, dob: dt.date) -> str:
    """Surname and name letters, year, month letter, day (+40 for women), town code, check letter."""
    given = [c for c in _consonants(first) if c not in "AEIOU"]
    name = given[0] + given[2] + given[3] if len(given) >= 4 else _consonants(first)[:3]
    day = dob.day + (40 if r.random() < 0.5 else 0)
    town = r.choice(_LETTERS) + f"{r.randrange(1, 1000):03d}"
    body = f"{_consonants(last)[:3]}{name}{dob.year % 100:02d}{_CF_MONTH[dob.month - 1]}{day:02d}{town}"
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else ord(ch) - 65
        total += _CF_ODD_VALUE[value] if i % 2 == 0 else value
    return body + _LETTERS[total % 26]


def _bsn(r: random.Random) -> str:
    """Nine digits whose 11-proef (weights 9..2, -1) is a multiple of 11."""
    while True:
        body = str(r.randrange(1, 7)) + _digits(r, 7)
        check = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return body + str(check)


def _steuer_id(r: random.Random) -> str:
    """Ten digits (not starting with 0) where one digit appears twice, then ISO 7064 MOD 11,10."""
    while True:
        digits = r.sample("0123456789", 9)
        digits.insert(r.randrange(10), r.choice(digits))
        body = "".join(digits)
        if body[0] == "0" or any(body[i] == body[i + 1] == body[i + 2] for i in range(8)):
            continue
        product = 10
        for ch in body:
            total = (int(ch) + product) % 10 or 10
            product = total * 2 % 11
        return body + str((11 - product) % 10)


def _aadhaar(r: random.Random) -> str:
    body = str(r.randrange(2, 10)) + _digits(r, 10)
    return body + _verhoeff_digit(body)


def _national_id(region: str, r: random.Random, first: str, last: str, dob: dt.date) -> str | None:
    """The national identifier a CRM of this country keeps, in one of its usual notations; None
    for the US (the SSN is not kept there)."""
    if region == "GB":
        if r.random() < 0.5:
            v = _nino(r)
            return r.choice((v, f"{v[:2]} {v[2:4]} {v[4:6]} {v[6:8]} {v[8]}"))
        v = _nhs_number(r)
        return r.choice((v, f"{v[:3]} {v[3:6]} {v[6:]}"))
    if region == "DE":
        v = _steuer_id(r)
        return r.choice((v, f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}"))
    if region == "FR":
        v = _nir(r, dob)
        return r.choice((v, f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"))
    if region == "NL":
        v = _bsn(r)
        return r.choice((v, f"{v[:4]}.{v[4:6]}.{v[6:]}"))
    if region == "ES":
        return _dni(r)
    if region == "IT":
        return _codice_fiscale(r, first, last, dob)
    if region == "IN":
        v = _aadhaar(r)
        return r.choice((v, f"{v[:4]} {v[4:8]} {v[8:]}"))
    return None


def _broken_check(value: str, r: random.Random) -> str:
    """The same notation with its last character changed: a typo that fails the check."""
    last = value[-1]
    pool = "0123456789" if last.isdigit() else _LETTERS
    return value[:-1] + r.choice([c for c in pool if c != last])


# Free-text notations: the keyword a note puts before each country's identifier.
_NATIONAL_ID_KEYWORDS = {
    "GB": ("NHS no: {v}", "NHS number {v}"),
    "GB-NINO": ("NI number {v}", "NINO: {v}", "National Insurance no. {v}"),
    "DE": ("Steuer-ID {v} hinterlegt", "Steuer-IdNr. {v}"),
    "FR": ("NIR {v}", "numéro de sécurité sociale : {v}"),
    "NL": ("BSN {v}", "burgerservicenummer: {v}"),
    "ES": ("DNI {v}", "NIE/DNI: {v}"),
    "IT": ("codice fiscale {v}", "C.F. {v}", "cliente {v}"),
    "IN": ("Aadhaar {v}", "Aadhaar no. {v}"),
}


# ---------------------------------------------------------------------------------------------
# Writers and the public API
# ---------------------------------------------------------------------------------------------


def _write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(columns))
        writer.writerows(zip(*columns.values(), strict=True))


def _write_jsonl(path: Path, columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    with open(path, "w", encoding="utf-8") as handle:
        for values in zip(*columns.values(), strict=True):
            handle.write(json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False))
            handle.write("\n")


def _write_parquet(path: Path, columns: dict[str, pa.Array]) -> None:
    pq.write_table(pa.table(columns), path)


_SPECS = (
    ("healthcare_intake", "csv", "healthcare", _healthcare, _write_csv),
    ("financial_ledger", "jsonl", "financial", _financial, _write_jsonl),
    ("device_pings", "parquet", "location", _devices, _write_parquet),
    ("crm_export", "csv", "mixed", _crm, _write_csv),
)


def build_corpus(
    out_dir: Path, rows: int = 2000, seed: int = 7, names: Sequence[str] | None = None
) -> list[CorpusFile]:
    """Write the four exports (or those in `names`) into `out_dir` (`rows` data rows each) and return
    them with labels. Deterministic for a given (rows, seed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = _Ctx(rows, seed)
    files = []
    for name, fmt, domain, build, write in _SPECS:
        if names is not None and name not in names:
            continue
        columns, labels = build(ctx, rows)
        path = out_dir / f"{name}.{fmt}"
        write(path, columns)
        files.append(CorpusFile(name, path, fmt, domain, labels))
    return files


def read_labels(path: Path) -> pa.Table:
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types={"row": pa.int64(), "field": pa.string(), "type": pa.string()}
        ),
    )
    return table.select(["row", "field", "type"]).sort_by(
        [("row", "ascending"), ("field", "ascending"), ("type", "ascending")]
    )


def write_labels(corpus_file: CorpusFile) -> Path:
    path = corpus_file.path.with_name(f"{corpus_file.name}.labels.csv")
    pa_csv.write_csv(corpus_file.labels, path, pa_csv.WriteOptions(quoting_style="none"))
    return path


def fixture_files() -> list[CorpusFile]:
    """The hand-written fixtures (tests/corpus/fixtures), with their hand-typed labels."""
    out = []
    for file_name, domain in FIXTURES.items():
        path = FIXTURES_DIR / file_name
        stem, _, fmt = file_name.rpartition(".")
        out.append(
            CorpusFile(stem, path, fmt, domain, read_labels(path.with_name(f"{file_name}.labels.csv")))
        )
    return out


def label_counts(files: Sequence[CorpusFile]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for f in files:
        per_type = dict.fromkeys(TYPES, 0)
        for t in f.labels.column("type").to_pylist():
            per_type[t] += 1
        counts[f.name] = {t: k for t, k in per_type.items() if k}
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.build", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=2000, help="data rows per file (default 2000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = build_corpus(args.out_dir, rows=args.rows, seed=args.seed)
    for f in files:
        write_labels(f)
    elapsed = time.perf_counter() - started
    for name, per_type in label_counts(files).items():
        f = next(x for x in files if x.name == name)
        print(f"{name} ({f.format}, {f.domain}): {f.labels.num_rows} labels -> {f.path}")
        for t, k in per_type.items():
            print(f"  {t:<16} {k:>8}")
    print(f"built {len(files)} files x {args.rows} rows in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
