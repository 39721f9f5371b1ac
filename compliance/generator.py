"""Synthetic data generator with ground-truth labels (`sdp generate`).

Each domain is a list of column specs. A row "with violations" carries identifiers in clear; other
rows hold nulls or non-identifying values (tokens, "N/A", masked or coarse values). Decoys (values
that look like identifiers but fail their validator) are sprinkled over candidate cells: never
labelled in free text, labelled UNRECOGNISED_SENSITIVE in a column named for an identifier (the
detectors fail closed there). Labels say exactly what the detectors and rules must report: one per
(row, field, type).

Everything is drawn as numpy vectors per batch; Faker only fills small pools once per run, and the
few `phonenumbers` checks run on those pools, so generation stays fast and memory stays bounded.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from faker import Faker

from compliance.io import FORMAT_OF_SUFFIX, FORMATS, json_lines
from compliance.policy import Policy, load_policy
from compliance.vocabulary import VIOLATION_KEYS, Domain, IdType

LABEL_SCHEMA = pa.schema(
    [("row", pa.int64())] + [(key, pa.string()) for key in VIOLATION_KEYS if key != "row"]
)

# Presence of each identifier in a violating row (real records have gaps).
PRESENCE = 0.9
CVV_PRESENCE = 0.35
TEXT_EMBED_RATE = 0.7
RETENTION_EXCEEDED_RATE = 0.08
RETENTION_MARGIN_DAYS = 30
# Consent values; the negative ones (and blanks) make MISSING_CONSENT when the row holds personal data.
CONSENT_VALUES = ("yes", "Yes", "true", "granted", "no", "false", "withdrawn", "", None)
CONSENT_WEIGHTS = (0.25, 0.1, 0.15, 0.15, 0.1, 0.07, 0.08, 0.04, 0.06)
NEGATIVE_CONSENT = frozenset({"no", "false", "withdrawn", "", None})

_DIGITS = np.array(list("0123456789"))
_HEX = np.array(list("0123456789abcdef"))
_UPPER = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_BASE32 = np.array(list("abcdefghijklmnopqrstuvwxyz234567"))


# --- vectorised building blocks ------------------------------------------------------------------


def _join_chars(chars: np.ndarray) -> np.ndarray:
    """(n, L) array of single characters -> n strings of length L, without a Python loop."""
    chars = np.ascontiguousarray(chars, dtype="<U1")
    return chars.view(f"<U{chars.shape[1]}").reshape(chars.shape[0])


def _int_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of each value: (n,) -> (n, width) ints."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def _digit_text(digits: np.ndarray, seps: Sequence[int] = (), sep: str = "") -> np.ndarray:
    """Digit matrix -> strings, with `sep` inserted before the given column positions."""
    chars = _DIGITS[digits]
    if seps:
        chars = np.insert(chars, list(seps), sep, axis=1)
    return _join_chars(chars)


def luhn_check_digit(payload: np.ndarray) -> np.ndarray:
    """Luhn check digit of each row of a (n, L) digit matrix (the digit to append)."""
    length = payload.shape[1]
    doubled = (length - np.arange(length)) % 2 == 1
    digits = payload.astype(np.int64)
    digits[:, doubled] *= 2
    digits[digits > 9] -= 9
    return (10 - digits.sum(axis=1) % 10) % 10


def iban_check_digits(country: str, bban_values: np.ndarray) -> np.ndarray:
    """ISO 7064 mod-97 check digits for BBANs given as (n, L) character values (0-9, A=10 .. Z=35)."""
    tail = [ord(c) - 55 for c in country] + [0, 0]
    values = np.concatenate([bban_values, np.tile(tail, (bban_values.shape[0], 1))], axis=1)
    remainder = np.zeros(values.shape[0], dtype=np.int64)
    for column in values.T:
        remainder = (remainder * np.where(column >= 10, 100, 10) + column) % 97
    return 98 - remainder


def _pick(pool: pa.Array, rng: np.random.Generator, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def _as_arrow(values: pa.Array | np.ndarray) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values, pa.string())


def _mix(codes: np.ndarray, parts: Sequence[pa.Array | np.ndarray]) -> pa.Array:
    """Row i takes the next unused value of parts[codes[i]]; len(parts[k]) == count of code k."""
    arrays = [pc.cast(_as_arrow(part), pa.string()) for part in parts]
    order = np.argsort(codes, kind="stable")
    positions = np.empty(len(codes), dtype=np.int64)
    positions[order] = np.arange(len(codes))
    return pa.concat_arrays(arrays).take(pa.array(positions))


def _choose(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=np.asarray(weights) / np.sum(weights))


def _by_variant(
    rng: np.random.Generator, n: int, variants: Sequence[tuple[float, Callable[[int], pa.Array | np.ndarray]]]
) -> pa.Array:
    """n values, each drawn from one of the weighted variant generators."""
    codes = _choose(rng, n, [weight for weight, _ in variants])
    return _mix(codes, [make(int(np.count_nonzero(codes == k))) for k, (_, make) in enumerate(variants)])


# --- pools drawn once per run from Faker ---------------------------------------------------------

# Real NANP area codes (the 555-01xx fictional range is never produced: exchange 555 is excluded).
US_AREA_CODES = (
    202, 206, 212, 213, 214, 303, 305, 312, 404, 415, 503, 512, 602, 612, 617, 646,
    702, 713, 718, 720, 773, 786, 801, 818, 858, 917, 972,
)  # fmt: skip
# City centres used for coordinates and the city column of the same row.
CITIES = (
    ("New York", 40.7128, -74.0060), ("San Francisco", 37.7749, -122.4194), ("Boston", 42.3601, -71.0589),
    ("Chicago", 41.8781, -87.6298), ("Seattle", 47.6062, -122.3321), ("Austin", 30.2672, -97.7431),
    ("Miami", 25.7617, -80.1918), ("Denver", 39.7392, -104.9903), ("London", 51.5074, -0.1278),
    ("Berlin", 52.5200, 13.4050), ("Paris", 48.8566, 2.3522), ("Madrid", 40.4168, -3.7038),
    ("Amsterdam", 52.3676, 4.9041), ("Munich", 48.1351, 11.5820), ("Toronto", 43.6532, -79.3832),
    ("Sydney", -33.8688, 151.2093), ("Tokyo", 35.6762, 139.6503), ("Sao Paulo", -23.5505, -46.6333),
)  # fmt: skip
ICD10_CODES = (
    "E11.9", "I10", "J45.909", "Z00.00", "M54.5", "F32.9", "K21.9", "N39.0", "R51.9", "J06.9",
    "E78.5", "I25.10", "G43.909", "L40.0", "F41.1", "M17.11", "E66.9", "K58.9", "J44.9", "R10.9",
)  # fmt: skip
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Way", "Street", "Avenue", "Road", "Court", "Place")
VIN_WMI = ("1HG", "1FT", "1G1", "2T1", "3VW", "5YJ", "JHM", "JTD", "WBA", "WVW", "WDB", "KMH", "SAL", "YV1")


@dataclass(frozen=True)
class _Pools:
    names: pa.Array
    emails: pa.Array
    street_names: pa.Array
    merchants: pa.Array
    us_phone_prefixes: np.ndarray  # area * 1000 + exchange, each checked with phonenumbers
    intl_phones: pa.Array  # +44 / +49 numbers in international format, each checked

    @classmethod
    @functools.lru_cache(maxsize=4)
    def for_seed(cls, seed: int) -> _Pools:
        """Pools of one seed; cached because Faker costs ~1 s per build and the pools are read-only."""
        faker = Faker("en_US")
        faker.seed_instance(seed)
        rng = np.random.default_rng([seed, 1])  # independent of the batches' stream

        def unique(make: Callable[[], str], size: int) -> pa.Array:
            return pa.array(sorted({make() for _ in range(size)}), pa.string())

        return cls(
            names=unique(lambda: f"{faker.first_name()} {faker.last_name()}", 3000),
            emails=unique(lambda: faker.free_email() if faker.boolean(70) else faker.company_email(), 3000),
            street_names=unique(lambda: faker.last_name() if faker.boolean() else faker.first_name(), 600),
            merchants=unique(faker.company, 400),
            us_phone_prefixes=cls._us_prefixes(rng),
            intl_phones=cls._intl_phones(rng),
        )

    @staticmethod
    def _us_prefixes(rng: np.random.Generator) -> np.ndarray:
        areas = rng.choice(US_AREA_CODES, 600)
        exchanges = rng.integers(200, 1000, 600)
        usable = (exchanges % 100 != 11) & (exchanges != 555)  # N11 service codes, 555 fiction
        prefixes = np.unique(areas[usable] * 1000 + exchanges[usable])
        valid = [p for p in prefixes if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{p}4821", None))]
        return np.asarray(valid, dtype=np.int64)

    @staticmethod
    def _intl_phones(rng: np.random.Generator) -> pa.Array:
        # London fixed lines, UK mobiles, Berlin / Munich fixed lines and German mobiles.
        templates = (("+4420", 8, 7), ("+447", 9, 4), ("+4930", 8, 2), ("+4989", 7, 2), ("+49151", 8, 1))
        out: list[str] = []
        for prefix, length, first in templates:
            for tail in rng.integers(0, 10, (60, length)):
                tail[0] = first if tail[0] < 5 else max(tail[0], 2)
                number = phonenumbers.parse(prefix + "".join(map(str, tail)), None)
                if phonenumbers.is_valid_number(number):
                    out.append(
                        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                    )
        return pa.array(sorted(set(out)), pa.string())


@dataclass
class _Context:
    """What the value factories of one run draw from."""

    rng: np.random.Generator
    pools: _Pools
    as_of: date
    violation_rate: float
    decoy_rate: float
    retention_days: int


# --- identifier factories: valid values and decoys, one class per type ---------------------------


class IdentifierFactory(ABC):
    """Produces `n` values of one identifier type, valid by construction, and optional decoys."""

    id_type: IdType

    @abstractmethod
    def valid(self, ctx: _Context, n: int) -> pa.Array | np.ndarray: ...

    def in_text(self, ctx: _Context, n: int) -> pa.Array | np.ndarray:
        """Values as embedded in free text (the same as in a column unless a type says otherwise)."""
        return self.valid(ctx, n)

    def decoy(self, ctx: _Context, n: int) -> pa.Array | np.ndarray | None:
        """Look-alikes that fail the type's validator; None when the type has no decoy."""
        return None

    @property
    def has_decoys(self) -> bool:
        return type(self).decoy is not IdentifierFactory.decoy


FACTORIES: dict[IdType, IdentifierFactory] = {}


def register(cls: type[IdentifierFactory]) -> type[IdentifierFactory]:
    """Class decorator: one factory instance per identifier type."""
    FACTORIES[cls.id_type] = cls()
    return cls


@register
class SsnFactory(IdentifierFactory):
    id_type = IdType.SSN
    _areas = np.setdiff1d(np.arange(1, 900), [666])

    def _parts(self, ctx: _Context, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        area = ctx.rng.choice(self._areas, n)
        group = ctx.rng.integers(1, 100, n)
        serial = ctx.rng.integers(1, 10000, n)
        serial[(area == 78) & (group == 5) & (serial == 1120)] = 1121  # the SSA's advertising number
        return area, group, serial

    @staticmethod
    def _text(area: np.ndarray, group: np.ndarray, serial: np.ndarray, sep: str) -> np.ndarray:
        digits = np.concatenate([_int_digits(area, 3), _int_digits(group, 2), _int_digits(serial, 4)], axis=1)
        return _digit_text(digits, (3, 5) if sep else (), sep)

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        area, group, serial = self._parts(ctx, n)
        return np.where(
            ctx.rng.random(n) < 0.8, self._text(area, group, serial, "-"), self._text(area, group, serial, "")
        )

    def in_text(self, ctx: _Context, n: int) -> np.ndarray:
        return self._text(*self._parts(ctx, n), "-")

    def decoy(self, ctx: _Context, n: int) -> np.ndarray:
        area, group, serial = self._parts(ctx, n)
        flaw = ctx.rng.integers(0, 5, n)
        area = np.select([flaw == 0, flaw == 1, flaw == 2], [666, 0, ctx.rng.integers(900, 1000, n)], area)
        group = np.where(flaw == 3, 0, group)
        serial = np.where(flaw == 4, 0, serial)
        return self._text(area, group, serial, "-")


# (weight, prefixes, length, grouping) of real brands: Visa, Mastercard (51-55, 2221-2720), Amex,
# Discover, JCB.
CARD_BRANDS = (
    (0.40, (4,), 16, (4, 8, 12)),
    (0.25, tuple(range(51, 56)), 16, (4, 8, 12)),
    (0.05, tuple(range(2221, 2721)), 16, (4, 8, 12)),
    (0.15, (34, 37), 15, (4, 10)),
    (0.05, (6011,), 16, (4, 8, 12)),
    (0.05, (65,), 16, (4, 8, 12)),
    (0.05, tuple(range(3528, 3590)), 16, (4, 8, 12)),
)


@register
class CreditCardFactory(IdentifierFactory):
    id_type = IdType.CREDIT_CARD

    @staticmethod
    def _digits(ctx: _Context, n: int, prefixes: Sequence[int], length: int) -> np.ndarray:
        prefix = ctx.rng.choice(prefixes, n)
        width = len(str(prefixes[0]))
        payload = np.concatenate(
            [_int_digits(prefix, width), ctx.rng.integers(0, 10, (n, length - 1 - width))], axis=1
        )
        return np.concatenate([payload, luhn_check_digit(payload)[:, None]], axis=1)

    def _brand(
        self, ctx: _Context, prefixes: Sequence[int], length: int, groups: Sequence[int]
    ) -> Callable[[int], np.ndarray]:
        def make(n: int) -> np.ndarray:
            digits = self._digits(ctx, n, prefixes, length)
            style = _choose(ctx.rng, n, (0.6, 0.25, 0.15))  # compact, spaced, dashed
            return np.select(
                [style == 0, style == 1],
                [_digit_text(digits), _digit_text(digits, groups, " ")],
                _digit_text(digits, groups, "-"),
            )

        return make

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        variants = [(w, self._brand(ctx, p, length, g)) for w, p, length, g in CARD_BRANDS]
        return _by_variant(ctx.rng, n, variants)

    def decoy(self, ctx: _Context, n: int) -> np.ndarray:
        # A 16-digit number with a real Visa/Mastercard prefix whose Luhn check digit is wrong.
        digits = self._digits(ctx, n, (4, 5), 16)
        digits[:, -1] = (digits[:, -1] + ctx.rng.integers(1, 10, n)) % 10
        return _digit_text(digits)


# Country -> BBAN layout: "a" upper-case letter, "n" digit.
IBAN_LAYOUTS = {
    "GB": "aaaa" + "n" * 14,
    "DE": "n" * 18,
    "FR": "n" * 23,
    "ES": "n" * 20,
    "NL": "aaaa" + "n" * 10,
    "IT": "a" + "n" * 22,
    "BE": "n" * 12,
}


@register
class IbanFactory(IdentifierFactory):
    id_type = IdType.IBAN

    def _country(self, ctx: _Context, country: str, broken: bool) -> Callable[[int], np.ndarray]:
        layout = np.array(list(IBAN_LAYOUTS[country]))

        def make(n: int) -> np.ndarray:
            letters = layout == "a"
            values = ctx.rng.integers(0, 10, (n, len(layout)))
            values[:, letters] = ctx.rng.integers(10, 36, (n, int(letters.sum())))
            check = iban_check_digits(country, values)
            if broken:
                shift = ctx.rng.integers(1, 10, n)
                check = np.where(check + shift <= 99, check + shift, check - shift)
            chars = np.where(values >= 10, _UPPER[np.maximum(values - 10, 0)], _DIGITS[values % 10])
            head = np.tile(np.array(list(country)), (n, 1))
            text = np.concatenate([head, _DIGITS[_int_digits(check, 2)], chars], axis=1)
            spaced = np.insert(text, list(range(4, text.shape[1], 4)), " ", axis=1)
            grouped = np.char.rstrip(_join_chars(spaced))
            return np.where(ctx.rng.random(n) < 0.6, _join_chars(text), grouped)

        return make

    def _values(self, ctx: _Context, n: int, broken: bool) -> pa.Array:
        variants = [(1.0, self._country(ctx, country, broken)) for country in IBAN_LAYOUTS]
        return _by_variant(ctx.rng, n, variants)

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        return self._values(ctx, n, broken=False)

    def decoy(self, ctx: _Context, n: int) -> pa.Array:
        return self._values(ctx, n, broken=True)


@register
class NpiFactory(IdentifierFactory):
    id_type = IdType.NPI
    _prefix = np.array([8, 0, 8, 4, 0])  # the card-issuer prefix the NPI Luhn check runs over

    def _digits(self, ctx: _Context, n: int) -> np.ndarray:
        body = np.concatenate([ctx.rng.integers(1, 3, (n, 1)), ctx.rng.integers(0, 10, (n, 8))], axis=1)
        check = luhn_check_digit(np.concatenate([np.tile(self._prefix, (n, 1)), body], axis=1))
        return np.concatenate([body, check[:, None]], axis=1)

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        return _digit_text(self._digits(ctx, n))

    def decoy(self, ctx: _Context, n: int) -> np.ndarray:
        digits = self._digits(ctx, n)
        digits[:, -1] = (digits[:, -1] + ctx.rng.integers(1, 10, n)) % 10
        return _digit_text(digits)


@register
class PhoneFactory(IdentifierFactory):
    id_type = IdType.PHONE

    @staticmethod
    def _us(ctx: _Context, n: int, style: np.ndarray) -> np.ndarray:
        prefix = ctx.rng.choice(ctx.pools.us_phone_prefixes, n)
        digits = np.concatenate([_int_digits(prefix, 6), ctx.rng.integers(0, 10, (n, 4))], axis=1)
        return PhoneFactory._format(digits, style)

    @staticmethod
    def _format(digits: np.ndarray, style: np.ndarray) -> np.ndarray:
        chars = _DIGITS[digits]
        n = len(digits)

        def build(*pieces: str | slice) -> np.ndarray:
            cols = [chars[:, p] if isinstance(p, slice) else np.full((n, len(p)), list(p)) for p in pieces]
            return _join_chars(np.concatenate(cols, axis=1))

        area, exchange, line = slice(0, 3), slice(3, 6), slice(6, 10)
        return np.select(
            [style == 0, style == 1, style == 2, style == 3],
            [
                build("(", area, ") ", exchange, "-", line),
                build(area, "-", exchange, "-", line),
                build("+1 ", area, "-", exchange, "-", line),
                build(area, ".", exchange, ".", line),
            ],
            build(area, exchange, line),
        )

    def _values(self, ctx: _Context, n: int, styles: Sequence[float]) -> pa.Array:
        return _by_variant(
            ctx.rng,
            n,
            [
                (0.85, lambda k: self._us(ctx, k, _choose(ctx.rng, k, styles))),
                (0.15, lambda k: _pick(ctx.pools.intl_phones, ctx.rng, k)),
            ],
        )

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        return self._values(ctx, n, (0.3, 0.3, 0.15, 0.1, 0.15))

    def in_text(self, ctx: _Context, n: int) -> pa.Array:
        return self._values(ctx, n, (0.4, 0.4, 0.2, 0.0, 0.0))  # bare digit runs only in a phone column

    def decoy(self, ctx: _Context, n: int) -> np.ndarray:
        # NANP area codes never start with 1: phone-shaped but invalid (a leading 0 would read as
        # another country's trunk prefix, and "(012) 345-6789" is a valid UK number).
        digits = ctx.rng.integers(0, 10, (n, 10))
        digits[:, 0] = 1
        digits[:, 3] = ctx.rng.integers(2, 10, n)
        return self._format(digits, ctx.rng.integers(0, 2, n))


@register
class EmailFactory(IdentifierFactory):
    id_type = IdType.EMAIL

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        return _pick(ctx.pools.emails, ctx.rng, n)


@register
class PersonNameFactory(IdentifierFactory):
    id_type = IdType.PERSON_NAME

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        return _pick(ctx.pools.names, ctx.rng, n)


@register
class StreetAddressFactory(IdentifierFactory):
    id_type = IdType.STREET_ADDRESS

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        number = pc.cast(pa.array(ctx.rng.integers(1, 10000, n)), pa.string())
        suffix = pa.array(STREET_SUFFIXES).take(pa.array(ctx.rng.integers(0, len(STREET_SUFFIXES), n)))
        return pc.binary_join_element_wise(number, _pick(ctx.pools.street_names, ctx.rng, n), suffix, " ")


@register
class ZipCodeFactory(IdentifierFactory):
    id_type = IdType.ZIP_CODE

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        five = _digit_text(_int_digits(ctx.rng.integers(1001, 99951, n), 5))
        plus4 = np.char.add(
            np.char.add(five, "-"), _digit_text(_int_digits(ctx.rng.integers(1, 10000, n), 4))
        )
        return np.where(ctx.rng.random(n) < 0.85, five, plus4)


@register
class DateOfBirthFactory(IdentifierFactory):
    id_type = IdType.DATE_OF_BIRTH

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        days = ctx.rng.integers(1, 100 * 365, n)
        born = np.datetime64(ctx.as_of, "D") - days.astype("timedelta64[D]")
        return pc.cast(pa.array(born, pa.date32()), pa.string())


@register
class MrnFactory(IdentifierFactory):
    id_type = IdType.MRN

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        number = ctx.rng.integers(0, 10**7, n)
        prefixed = np.char.add("MRN-", _digit_text(_int_digits(number, 7)))
        return np.where(
            ctx.rng.random(n) < 0.5, prefixed, _digit_text(_int_digits(ctx.rng.integers(10**7, 10**8, n), 8))
        )

    def in_text(self, ctx: _Context, n: int) -> np.ndarray:
        return _digit_text(_int_digits(ctx.rng.integers(10**6, 10**7, n), 7))  # "MRN: 1234567"


@register
class BankAccountFactory(IdentifierFactory):
    id_type = IdType.BANK_ACCOUNT

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        ten = _digit_text(_int_digits(ctx.rng.integers(10**9, 10**10, n), 10))
        twelve = _digit_text(_int_digits(ctx.rng.integers(10**11, 10**12, n), 12))
        return np.where(ctx.rng.random(n) < 0.5, ten, twelve)


@register
class CardCvvFactory(IdentifierFactory):
    id_type = IdType.CARD_CVV

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        three = _digit_text(ctx.rng.integers(0, 10, (n, 3)))
        four = _digit_text(ctx.rng.integers(0, 10, (n, 4)))
        return np.where(ctx.rng.random(n) < 0.85, three, four)


@register
class IpAddressFactory(IdentifierFactory):
    id_type = IdType.IP_ADDRESS
    _first_octets = np.setdiff1d(np.arange(1, 224), [10, 127])

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        def v4(k: int) -> pa.Array:
            octets = [
                ctx.rng.choice(self._first_octets, k),
                *ctx.rng.integers(0, 256, (2, k)),
                ctx.rng.integers(1, 255, k),
            ]
            return pc.binary_join_element_wise(*[pc.cast(pa.array(o), pa.string()) for o in octets], ".")

        def v6(k: int) -> np.ndarray:
            groups = _HEX[ctx.rng.integers(0, 16, (k, 8, 4))]
            groups[:, 0, 0] = "2"  # global unicast 2000::/3
            with_colons = np.concatenate([groups, np.full((k, 8, 1), ":")], axis=2).reshape(k, 40)[:, :39]
            return _join_chars(with_colons)

        return _by_variant(ctx.rng, n, [(0.8, v4), (0.2, v6)])


@register
class DeviceIdFactory(IdentifierFactory):
    id_type = IdType.DEVICE_ID

    def valid(self, ctx: _Context, n: int) -> pa.Array:
        def uuid4(k: int) -> np.ndarray:
            nibbles = ctx.rng.integers(0, 16, (k, 32))
            nibbles[:, 12] = 4
            nibbles[:, 16] = ctx.rng.integers(8, 12, k)
            return _join_chars(np.insert(_HEX[nibbles], [8, 12, 16, 20], "-", axis=1))

        def imei(k: int) -> np.ndarray:
            tac = ctx.rng.choice([35, 86, 1], k)
            payload = np.concatenate([_int_digits(tac, 2), ctx.rng.integers(0, 10, (k, 12))], axis=1)
            return _digit_text(np.concatenate([payload, luhn_check_digit(payload)[:, None]], axis=1))

        def mac(k: int) -> np.ndarray:
            text = _join_chars(
                np.insert(_HEX[ctx.rng.integers(0, 16, (k, 12))], [2, 4, 6, 8, 10], ":", axis=1)
            )
            return np.where(ctx.rng.random(k) < 0.5, np.char.upper(text), text)

        return _by_variant(ctx.rng, n, [(0.5, uuid4), (0.3, imei), (0.2, mac)])


@register
class VinFactory(IdentifierFactory):
    id_type = IdType.VIN
    _alphabet = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
    # ISO 3779 transliteration of _alphabet, and the position weights.
    _values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9, *range(10)])
    _weights = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
    _years = np.array(list("ABCDEFGHJKLMNPRSTVWXY123456789"))

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        position = {c: i for i, c in enumerate(self._alphabet.tolist())}
        index = ctx.rng.integers(0, len(self._alphabet), (n, 17))
        index[:, 11:] = ctx.rng.integers(23, 33, (n, 6))  # serial number: digits
        wmi = np.array([[position[c] for c in w] for w in VIN_WMI])
        index[:, :3] = wmi[ctx.rng.integers(0, len(VIN_WMI), n)]
        index[:, 9] = ctx.rng.choice([position[c] for c in self._years], n)
        index[:, 8] = 0
        remainder = (self._values[index] * self._weights).sum(axis=1) % 11
        chars = self._alphabet[index]
        chars[:, 8] = np.where(remainder == 10, "X", _DIGITS[remainder % 10])
        return _join_chars(chars)


@register
class PassportFactory(IdentifierFactory):
    id_type = IdType.PASSPORT

    def valid(self, ctx: _Context, n: int) -> np.ndarray:
        digits = _digit_text(ctx.rng.integers(0, 10, (n, 8)))
        lettered = np.char.add(_UPPER[ctx.rng.integers(0, 26, n)], digits)
        nine = np.char.add(_DIGITS[ctx.rng.integers(1, 10, n)], digits)
        return np.where(ctx.rng.random(n) < 0.5, lettered, nine)


# --- non-identifying values for cells of rows without violations ---------------------------------

# Masked forms that keep at most the last 4 characters (what PCI-DSS and HIPAA displays allow).
MASKS = {
    IdType.SSN: "***-**-",
    IdType.CREDIT_CARD: "**** **** **** ",
    IdType.BANK_ACCOUNT: "******",
    IdType.PHONE: "(***) ***-",
}


def _filler(ctx: _Context, id_type: IdType, n: int) -> pa.Array:
    """Nulls, tokens shaped like the tokenizer's (`<TYPE>_<keyid>_<base32>`), "N/A" and masked values."""

    def tokens(k: int) -> np.ndarray:
        return np.char.add(f"{id_type.value}_k1_", _join_chars(_BASE32[ctx.rng.integers(0, 32, (k, 24))]))

    def masked(k: int) -> np.ndarray:
        if id_type is IdType.ZIP_CODE:  # Safe Harbor keeps the first 3 digits
            return np.char.add(_digit_text(_int_digits(ctx.rng.integers(10, 1000, k), 3)), "**")
        return np.char.add(MASKS[id_type], _digit_text(ctx.rng.integers(0, 10, (k, 4))))

    variants: list[tuple[float, Callable[[int], pa.Array | np.ndarray]]] = [
        (0.55, lambda k: pa.nulls(k, pa.string())),
        (0.25, tokens),
        (0.10, lambda k: np.full(k, "N/A")),
    ]
    if id_type in MASKS or id_type is IdType.ZIP_CODE:
        variants.append((0.10, masked))
    return _by_variant(ctx.rng, n, variants)


# --- free text ------------------------------------------------------------------------------------

NOTE_OPENERS = {
    "healthcare": (
        "Routine follow-up completed, vitals within normal limits",
        "Presented with mild headache and fatigue for three days",
        "Annual wellness exam performed without complications",
        "Reviewed recent lab results together with the care team",
        "Medication adherence discussed and refill authorized",
        "Reports improved sleep since the last appointment",
        "Blood pressure slightly elevated during this visit",
        "Wound healing well with no signs of infection",
        "Physical therapy progress noted for the left knee",
        "Seasonal flu vaccine administered in the right deltoid",
    ),
    "financial": (
        "Monthly subscription renewal processed",
        "Wire transfer to supplier for consulting services",
        "Refund issued for a returned item",
        "Chargeback dispute opened by the cardholder",
        "Recurring utility payment scheduled",
        "Online purchase flagged for manual review",
        "Cash withdrawal at a partner branch",
        "Payroll deposit received from employer",
        "Currency conversion applied at the daily rate",
    ),
    "location": (
        "Device stationary near the transit hub",
        "Geofence entry recorded at the campus gate",
        "Background location update while commuting",
        "Check-in shared with the delivery courier",
        "Route deviation detected on the evening trip",
        "Low battery mode reduced the sampling rate",
        "Signal lost briefly inside the parking garage",
        "Trip ended at the usual weekday destination",
    ),
}
NOTE_CLOSERS = (
    "; continue the current plan.",
    "; reviewed and closed by the team.",
    "; follow up if the issue persists.",
    "; no further action required.",
    "; customer informed through the app.",
    "; flagged for the monthly quality review.",
)
# How an identifier of each type is embedded in a sentence: (before, after).
EMBED_TEMPLATES = {
    IdType.EMAIL: ((" Contact email ", " on file."), (" Receipt sent to ", " today.")),
    IdType.PHONE: ((" Callback number ", " confirmed."), (" Reached by phone at ", " this morning.")),
    IdType.SSN: ((" SSN ", " verified at intake."), (" Social security number ", " on record.")),
    IdType.MRN: ((" MRN: ", " linked to chart."),),
    IdType.DATE_OF_BIRTH: ((" DOB: ", " confirmed."),),
    IdType.CREDIT_CARD: (
        (" Card ", " charged for the balance."),
        (" Paid with card number ", " at checkout."),
    ),
    IdType.IBAN: ((" Refund to IBAN ", " requested."), (" Payout to ", " scheduled.")),
    IdType.IP_ADDRESS: ((" Last login from IP ", " recorded."), (" Session originated at ", " per logs.")),
}


def _decoy_phrases(ctx: _Context, n: int) -> pa.Array:
    """Order numbers and version strings: digit runs that are no identifier."""

    def order(k: int) -> np.ndarray:
        number = _digit_text(_int_digits(ctx.rng.integers(1, 10**6, k), 6))
        year = _digit_text(_int_digits(ctx.rng.integers(2019, 2026, k), 4))
        return np.char.add(
            np.char.add(np.char.add(" Order ORD-", year), np.char.add("-", number)), " shipped."
        )

    def version(k: int) -> np.ndarray:
        parts = [_DIGITS[ctx.rng.integers(0, 10, k)] for _ in range(3)]
        dotted = np.char.add(np.char.add(np.char.add(parts[0], "."), np.char.add(parts[1], ".")), parts[2])
        return np.char.add(np.char.add(" Companion app version ", dotted), " installed.")

    return _by_variant(ctx.rng, n, [(0.5, order), (0.5, version)])


# --- column specs -----------------------------------------------------------------------------------


@dataclass
class _Batch:
    """One batch being generated: shared row draws, produced columns and labels."""

    ctx: _Context
    n: int
    offset: int
    violating: np.ndarray
    city: np.ndarray
    has_identifier: np.ndarray
    columns: dict[str, pa.Array]
    labels: list[tuple[np.ndarray, str, IdType]]

    def label(self, mask: np.ndarray, field: str, id_type: IdType) -> None:
        self.labels.append((np.flatnonzero(mask), field, id_type))
        if id_type not in (IdType.MISSING_CONSENT, IdType.RETENTION_EXCEEDED):
            self.has_identifier |= mask


class ColumnSpec(ABC):
    names: tuple[str, ...]
    arrow_type: pa.DataType = pa.string()
    runs_last = False  # consent needs every identifier label of the row first

    @abstractmethod
    def fill(self, batch: _Batch) -> None: ...


@dataclass(frozen=True)
class IdColumn(ColumnSpec):
    """A column holding one identifier type."""

    name: str
    id_type: IdType
    presence: float = PRESENCE

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    def fill(self, batch: _Batch) -> None:
        ctx, factory = batch.ctx, FACTORIES[self.id_type]
        codes = np.where(batch.violating & (ctx.rng.random(batch.n) < self.presence), 1, 0)
        if factory.has_decoys:
            codes[ctx.rng.random(batch.n) < ctx.decoy_rate] = 2
        counts = [int(c) for c in np.bincount(codes, minlength=3)]
        no_value = self.id_type is IdType.CARD_CVV  # a CVV is never kept, not even masked
        parts = [
            pa.nulls(counts[0], pa.string()) if no_value else _filler(ctx, self.id_type, counts[0]),
            factory.valid(ctx, counts[1]),
            factory.decoy(ctx, counts[2]) if counts[2] else pa.nulls(0, pa.string()),
        ]
        batch.columns[self.name] = _mix(codes, parts)
        batch.label(codes == 1, self.name, self.id_type)
        # A look-alike in a column named for an identifier is still anonymized and reported: the
        # detectors fail closed on a sensitive column's values they cannot type.
        batch.label(codes == 2, self.name, IdType.UNRECOGNISED_SENSITIVE)


@dataclass(frozen=True)
class TextColumn(ColumnSpec):
    """Free text; violating rows embed 1-2 identifiers of `embeds`, any row may carry a decoy phrase."""

    name: str
    topic: str
    embeds: tuple[IdType, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    def fill(self, batch: _Batch) -> None:
        ctx, n, rng = batch.ctx, batch.n, batch.ctx.rng
        opener = pa.array(NOTE_OPENERS[self.topic]).take(
            pa.array(rng.integers(0, len(NOTE_OPENERS[self.topic]), n))
        )
        closer = pa.array(NOTE_CLOSERS).take(pa.array(rng.integers(0, len(NOTE_CLOSERS), n)))
        embedding = batch.violating & (rng.random(n) < TEXT_EMBED_RATE)
        how_many = np.where(rng.random(n) < 0.4, 2, 1)
        # Rank of each type in a random per-row order: the first `how_many` types are embedded.
        rank = np.argsort(np.argsort(rng.random((n, len(self.embeds))), axis=1), axis=1)
        phrases = []
        for j, id_type in enumerate(self.embeds):
            chosen = embedding & (rank[:, j] < how_many)
            k = int(chosen.sum())
            templates = EMBED_TEMPLATES[id_type]
            which = pa.array(rng.integers(0, len(templates), k))
            before = pa.array([t[0] for t in templates]).take(which)
            after = pa.array([t[1] for t in templates]).take(which)
            value = pc.cast(_as_arrow(FACTORIES[id_type].in_text(ctx, k)), pa.string())
            phrase = pc.binary_join_element_wise(before, value, after, "")
            phrases.append(_mix(chosen.astype(np.int8), [np.full(n - k, ""), phrase]))
            batch.label(chosen, self.name, id_type)
        decoy = rng.random(n) < ctx.decoy_rate
        k = int(decoy.sum())
        phrases.append(_mix(decoy.astype(np.int8), [np.full(n - k, ""), _decoy_phrases(ctx, k)]))
        batch.columns[self.name] = pc.binary_join_element_wise(opener, closer, *phrases, "")


@dataclass(frozen=True)
class GpsColumns(ColumnSpec):
    """A latitude/longitude pair: precise (6 decimals) in violating rows, else coarse (1-2) or null."""

    latitude: str
    longitude: str
    arrow_type = pa.float64()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.latitude, self.longitude)

    def fill(self, batch: _Batch) -> None:
        rng, n = batch.ctx.rng, batch.n
        codes = np.where(batch.violating & (rng.random(n) < PRESENCE), 1, np.where(rng.random(n) < 0.7, 2, 0))
        codes[rng.random(n) < batch.ctx.decoy_rate] = 2  # coarse positions are decoys
        one_decimal = rng.random(n) < 0.5
        for name, axis in ((self.latitude, 1), (self.longitude, 2)):
            centre = np.array([city[axis] for city in CITIES])[batch.city]
            exact = centre + rng.uniform(-0.15, 0.15, n)
            micro = np.round(exact * 1e6).astype(np.int64)
            micro = micro - micro % 10 + rng.integers(1, 10, n)  # last decimal non-zero: exactly 6 decimals
            coarse = np.where(one_decimal, np.round(exact, 1), np.round(exact, 2))
            values = np.where(codes == 1, micro / 1e6, coarse)
            batch.columns[name] = pa.array(values, pa.float64(), mask=codes == 0)
        batch.label(codes == 1, self.latitude, IdType.GPS_COORDINATES)
        batch.label(codes == 1, self.longitude, IdType.GPS_COORDINATES)


@dataclass(frozen=True)
class ConsentColumn(ColumnSpec):
    """GDPR consent flag; negative or blank with personal data in the row -> MISSING_CONSENT."""

    name: str
    runs_last = True

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    def fill(self, batch: _Batch) -> None:
        codes = _choose(batch.ctx.rng, batch.n, CONSENT_WEIGHTS)
        batch.columns[self.name] = pa.array(CONSENT_VALUES, pa.string()).take(pa.array(codes))
        negative = np.array([value in NEGATIVE_CONSENT for value in CONSENT_VALUES])[codes]
        batch.label(negative & batch.has_identifier, self.name, IdType.MISSING_CONSENT)


@dataclass(frozen=True)
class RecordDateColumn(ColumnSpec):
    """When the record was created; some rows are older than the domain's retention period."""

    name: str
    with_time: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def arrow_type(self) -> pa.DataType:  # type: ignore[override]
        return pa.timestamp("s") if self.with_time else pa.date32()

    def fill(self, batch: _Batch) -> None:
        ctx, rng, n = batch.ctx, batch.ctx.rng, batch.n
        expired = rng.random(n) < RETENTION_EXCEEDED_RATE
        # Both sides stay RETENTION_MARGIN_DAYS away from the boundary so time zones never matter.
        age = np.where(
            expired,
            ctx.retention_days + RETENTION_MARGIN_DAYS + rng.integers(1, 1000, n),
            rng.integers(0, ctx.retention_days - RETENTION_MARGIN_DAYS, n),
        )
        day = np.datetime64(ctx.as_of, "D") - age.astype("timedelta64[D]")
        if self.with_time:
            moment = day.astype("datetime64[s]") + rng.integers(0, 86400, n).astype("timedelta64[s]")
            batch.columns[self.name] = pa.array(moment, pa.timestamp("s"))
        else:
            batch.columns[self.name] = pa.array(day, pa.date32())
        batch.label(expired, self.name, IdType.RETENTION_EXCEEDED)


def _amounts(batch: _Batch) -> pa.Array:
    return pa.array(np.round(batch.ctx.rng.lognormal(3.5, 1.0, batch.n), 2))


# Non-identifying columns: kind -> (arrow type, values of a batch).
PLAIN_KINDS: dict[str, tuple[pa.DataType, Callable[[_Batch], pa.Array]]] = {
    "row_id": (pa.int64(), lambda b: pa.array(np.arange(b.offset + 1, b.offset + b.n + 1, dtype=np.int64))),
    "icd10": (
        pa.string(),
        lambda b: pa.array(ICD10_CODES).take(pa.array(b.ctx.rng.integers(0, len(ICD10_CODES), b.n))),
    ),
    "amount": (pa.float64(), _amounts),
    "merchant": (pa.string(), lambda b: _pick(b.ctx.pools.merchants, b.ctx.rng, b.n)),
    "city": (pa.string(), lambda b: pa.array([city[0] for city in CITIES]).take(pa.array(b.city))),
    "speed": (pa.float64(), lambda b: pa.array(np.round(b.ctx.rng.uniform(0, 120, b.n), 1))),
    "accuracy": (pa.float64(), lambda b: pa.array(np.round(b.ctx.rng.uniform(3, 60, b.n), 1))),
}


@dataclass(frozen=True)
class PlainColumn(ColumnSpec):
    name: str
    kind: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def arrow_type(self) -> pa.DataType:  # type: ignore[override]
        return PLAIN_KINDS[self.kind][0]

    def fill(self, batch: _Batch) -> None:
        batch.columns[self.name] = PLAIN_KINDS[self.kind][1](batch)


DOMAIN_COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    Domain.HEALTHCARE: (
        PlainColumn("record_id", "row_id"),
        IdColumn("patient_name", IdType.PERSON_NAME),
        IdColumn("ssn", IdType.SSN),
        IdColumn("dob", IdType.DATE_OF_BIRTH),
        IdColumn("email", IdType.EMAIL),
        IdColumn("phone", IdType.PHONE),
        IdColumn("address", IdType.STREET_ADDRESS),
        IdColumn("zip", IdType.ZIP_CODE),
        IdColumn("mrn", IdType.MRN),
        PlainColumn("diagnosis", "icd10"),
        TextColumn(
            "notes", "healthcare", (IdType.EMAIL, IdType.PHONE, IdType.SSN, IdType.MRN, IdType.DATE_OF_BIRTH)
        ),
        RecordDateColumn("visit_date"),
        ConsentColumn("consent"),
        PlainColumn("amount", "amount"),
    ),
    Domain.FINANCIAL: (
        IdColumn("customer_name", IdType.PERSON_NAME),
        IdColumn("email", IdType.EMAIL),
        IdColumn("card_number", IdType.CREDIT_CARD),
        IdColumn("cvv", IdType.CARD_CVV, presence=CVV_PRESENCE),
        IdColumn("iban", IdType.IBAN),
        IdColumn("account_number", IdType.BANK_ACCOUNT),
        IdColumn("phone", IdType.PHONE),
        RecordDateColumn("transaction_date", with_time=True),
        PlainColumn("amount", "amount"),
        PlainColumn("merchant", "merchant"),
        TextColumn(
            "memo", "financial", (IdType.EMAIL, IdType.PHONE, IdType.CREDIT_CARD, IdType.IBAN, IdType.SSN)
        ),
        ConsentColumn("consent"),
    ),
    Domain.LOCATION: (
        IdColumn("device_id", IdType.DEVICE_ID),
        IdColumn("user_email", IdType.EMAIL),
        GpsColumns("latitude", "longitude"),
        IdColumn("ip_address", IdType.IP_ADDRESS),
        RecordDateColumn("event_time", with_time=True),
        PlainColumn("city", "city"),
        PlainColumn("speed", "speed"),
        PlainColumn("accuracy_m", "accuracy"),
        TextColumn("notes", "location", (IdType.EMAIL, IdType.PHONE, IdType.IP_ADDRESS)),
        ConsentColumn("consent"),
    ),
    Domain.MIXED: (
        PlainColumn("record_id", "row_id"),
        IdColumn("full_name", IdType.PERSON_NAME),
        IdColumn("email", IdType.EMAIL),
        IdColumn("phone", IdType.PHONE),
        IdColumn("ssn", IdType.SSN),
        IdColumn("card_number", IdType.CREDIT_CARD),
        IdColumn("iban", IdType.IBAN),
        IdColumn("npi", IdType.NPI),
        IdColumn("vin", IdType.VIN),
        IdColumn("passport", IdType.PASSPORT),
        IdColumn("ip_address", IdType.IP_ADDRESS),
        GpsColumns("latitude", "longitude"),
        TextColumn(
            "notes",
            "healthcare",
            (
                IdType.EMAIL,
                IdType.PHONE,
                IdType.SSN,
                IdType.CREDIT_CARD,
                IdType.IBAN,
                IdType.MRN,
                IdType.DATE_OF_BIRTH,
            ),
        ),
        ConsentColumn("consent"),
        RecordDateColumn("created_at"),
    ),
}


def domain_schema(domain: str) -> pa.Schema:
    """The columns (in file order) of a generated `domain` file."""
    return pa.schema([(name, spec.arrow_type) for spec in DOMAIN_COLUMNS[domain] for name in spec.names])


# --- public API -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedData:
    """One batch of generated rows and its labels (VIOLATION_KEYS columns, file-level rows)."""

    table: pa.Table
    labels: pa.Table


def generate(
    domain: str,
    rows: int,
    *,
    seed: int | None = None,
    violation_rate: float = 0.3,
    decoy_rate: float = 0.05,
    as_of: date | None = None,
    batch_size: int = 50_000,
) -> Iterator[GeneratedData]:
    """Batches of at most `batch_size` rows of synthetic `domain` data with ground-truth labels.

    Deterministic for a given seed and as_of (default: today)."""
    if domain not in DOMAIN_COLUMNS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {', '.join(DOMAIN_COLUMNS)}")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError(f"rows must be a non-negative integer, got {rows!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    for name, rate in (("violation_rate", violation_rate), ("decoy_rate", decoy_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {rate!r}")
    return _generate(domain, rows, seed, violation_rate, decoy_rate, as_of or date.today(), batch_size)


def _generate(
    domain: str,
    rows: int,
    seed: int | None,
    violation_rate: float,
    decoy_rate: float,
    as_of: date,
    batch_size: int,
) -> Iterator[GeneratedData]:
    policy = load_policy(domain)
    rng = np.random.default_rng(seed)
    pools = _Pools.for_seed(seed if seed is not None else int(rng.integers(2**32)))
    ctx = _Context(rng, pools, as_of, violation_rate, decoy_rate, policy.retention_days)
    specs = sorted(DOMAIN_COLUMNS[domain], key=lambda spec: spec.runs_last)
    schema = domain_schema(domain)
    for offset in range(0, rows, batch_size):
        n = min(batch_size, rows - offset)
        batch = _Batch(
            ctx=ctx,
            n=n,
            offset=offset,
            violating=rng.random(n) < violation_rate,
            city=rng.integers(0, len(CITIES), n),
            has_identifier=np.zeros(n, dtype=bool),
            columns={},
            labels=[],
        )
        for spec in specs:
            spec.fill(batch)
        table = pa.Table.from_arrays([batch.columns[name] for name in schema.names], schema=schema)
        yield GeneratedData(table, _label_table(batch, policy))


def _label_table(batch: _Batch, policy: Policy) -> pa.Table:
    rows = np.concatenate([np.empty(0, np.int64)] + [r for r, _, _ in batch.labels]) + batch.offset
    sizes = [len(r) for r, _, _ in batch.labels]
    fields = pa.array(np.repeat([f for _, f, _ in batch.labels] or [""], sizes or [0]), pa.string())
    type_names = sorted({t.value for _, _, t in batch.labels})
    type_index = pa.array(
        np.repeat([type_names.index(t.value) for _, _, t in batch.labels] or [0], sizes or [0])
    )
    rules = [policy.label_for(name) for name in type_names]
    columns = {
        "row": pa.array(rows, pa.int64()),
        "field": fields,
        "type": pa.array(type_names, pa.string()).take(type_index),
        "regulation": pa.array([r.regulation for r in rules], pa.string()).take(type_index),
        "severity": pa.array([r.severity for r in rules], pa.string()).take(type_index),
        "rule": pa.array([r.rule for r in rules], pa.string()).take(type_index),
    }
    table = pa.Table.from_pydict(columns, schema=LABEL_SCHEMA)
    return table.sort_by([("row", "ascending"), ("field", "ascending"), ("type", "ascending")])


def format_of(path: Path, fmt: str | None = None) -> str:
    """csv | jsonl | parquet, from `fmt` or the file extension."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return fmt
    try:
        return FORMAT_OF_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: cannot tell the format from the extension; use {', '.join(FORMAT_OF_SUFFIX)}"
        ) from None


def write_dataset(
    domain: str,
    rows: int,
    out: Path,
    *,
    labels_out: Path | None = None,
    fmt: str | None = None,
    seed: int | None = None,
    violation_rate: float = 0.3,
    decoy_rate: float = 0.05,
    as_of: date | None = None,
) -> int:
    """Stream a generated file (and optionally its labels) batch by batch; returns rows written.

    Files appear atomically (written under a temporary name, then renamed) so a landing-zone sensor
    never picks up half a file."""
    out = Path(out)
    data_format = format_of(out, fmt)
    labels_path = Path(labels_out) if labels_out is not None else None
    labels_format = format_of(labels_path) if labels_path is not None else None
    batches = generate(
        domain, rows, seed=seed, violation_rate=violation_rate, decoy_rate=decoy_rate, as_of=as_of
    )
    data_sink = _open_sink(out, data_format, domain_schema(domain))
    label_sink = (
        _open_sink(labels_path, labels_format, LABEL_SCHEMA) if labels_path and labels_format else None
    )
    written = 0
    try:
        for data in batches:
            data_sink.write(data.table)
            if label_sink is not None:
                label_sink.write(data.labels)
            written += data.table.num_rows
    except BaseException:
        for sink in (data_sink, label_sink):
            if sink is not None:
                sink.abort()
        raise
    data_sink.commit()
    if label_sink is not None:
        label_sink.commit()
    return written


# --- streaming writers ------------------------------------------------------------------------------


class _Sink(ABC):
    """Writes tables to `<dir>/.<name>.part`, renamed to the target on commit."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.part = path.with_name(f".{path.name}.part")

    @abstractmethod
    def write(self, table: pa.Table) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    def commit(self) -> None:
        self._close()
        self.part.replace(self.path)

    def abort(self) -> None:
        self._close()
        self.part.unlink(missing_ok=True)


class _TableWriterSink(_Sink):
    """A sink over a pyarrow writer that takes whole tables (CSV, Parquet)."""

    writer_class: ClassVar[type[pa_csv.CSVWriter] | type[pq.ParquetWriter]]

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        super().__init__(path, schema)
        self._writer = self.writer_class(str(self.part), schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def _close(self) -> None:
        self._writer.close()


class _CsvSink(_TableWriterSink):
    writer_class = pa_csv.CSVWriter


class _ParquetSink(_TableWriterSink):
    writer_class = pq.ParquetWriter


class _JsonlSink(_Sink):
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        super().__init__(path, schema)
        self._file = self.part.open("wb")

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._file.write(json_lines(table))

    def _close(self) -> None:
        self._file.close()


SINKS: dict[str, type[_Sink]] = {"csv": _CsvSink, "jsonl": _JsonlSink, "parquet": _ParquetSink}


def _open_sink(path: Path, fmt: str, schema: pa.Schema) -> _Sink:
    return SINKS[fmt](path, schema)
