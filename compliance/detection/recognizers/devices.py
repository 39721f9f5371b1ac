"""Network, device and vehicle identifiers: IP address, device id (MAC, IMEI, UUID, advertising
and vendor ids), VIN."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.arrays import (
    digits_of,
    luhn_valid,
    matches,
    right_aligned_codes,
    share_containing,
    share_starting_with,
    strip_chars,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import DIGITS, HEX, LETTERS, Recognizer, TextPattern, context_group
from compliance.vocabulary import IdType


class IpAddressRecognizer(Recognizer):
    id_type = IdType.IP_ADDRESS
    header = (
        ANY_PREFIX
        + (
            r"(?:ip|ip_address|ip_addr|ipaddress|ipaddr|ipv4|ipv6|ip_v4|ip_v6|remote_addr|remote_address|"
            r"client_address|source_address|src_addr|dst_addr|dest_addr|host_address|ip_addresses)"
        )
        + ID_SUFFIX
    )
    by_values = True
    _OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    # Firewall and mainframe logs pad each octet to three digits ("010.001.002.003"); a two-digit
    # pad ("01.02") is a date's, not an address's.
    _PADDED_OCTET = r"(?:25[0-5]|2[0-4]\d|[01]\d\d|[1-9]?\d)"
    IPV4 = rf"{_PADDED_OCTET}(?:\.{_PADDED_OCTET}){{3}}"
    text_pattern = (
        r"(?P<neg>(?i:\bv|\bver\.?\s*|\bversion\s*|\brelease\s*|\bbuild\s*|\bfirmware\s*|\bfw\s*|"
        r"\bsoftware\s*|\bkernel\s*|\bbios\s*|"
        # A version under a key ("agentVersion": "7.8.86.150", app_build=10.2.0.1): not an address.
        r"\b[a-z_]*(?:version|release|build|firmware)\"?\s*[:=]\s*\"?)|\d\.|"
        # An object identifier ("urn:oid:1.2.36.146.595.217.0.1", FHIR's identifier systems).
        r"(?i:\boid):)?"
        rf"\b(?P<v>{IPV4}|[0-9A-Fa-f]{{1,4}}(?::[0-9A-Fa-f]{{0,4}}){{2,7}})\b"
    )
    text_hint = TextHint(shapes=("dotted_quad", "hex_colons"))

    def validate(self, values: pa.Array) -> np.ndarray:
        valid = matches(values, rf"^{self.IPV4}$")
        maybe_v6 = matches(values, r"^[0-9A-Fa-f:.]{2,45}(?:%\w+)?$") & matches(values, ":.*:")
        return valid | validate_where(values, maybe_v6, self._ipv6)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return min(share_starting_with(values, HEX + b":.", min_bytes=2), share_containing(values, b".:"))

    def published(self, values: pa.Array) -> np.ndarray:
        # What the coarsen anonymizer publishes: the /24 network of an IPv4 address, the /48 of an
        # IPv6 one, in CIDR notation.
        return matches(values, rf"^{self._OCTET}(?:\.{self._OCTET}){{2}}\.0/24$|^[0-9A-Fa-f:]+::/48$")

    @staticmethod
    def _ipv6(values: pa.Array) -> np.ndarray:
        def parses(text: str) -> bool:
            try:
                return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
            except ValueError:
                return False

        return np.array([parses(text) for text in values.to_pylist()], dtype=bool)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v")) & ~context_group(found, "neg")


class DeviceIdRecognizer(Recognizer):
    id_type = IdType.DEVICE_ID
    header = (
        ANY_PREFIX
        + (
            r"(?:device_id|device_uuid|device_identifier|device_serial|device|imei|imei_number|meid|mac|"
            # IMEISV: the IMEI's 14 digits and a 2-digit software version (16 digits, no check digit).
            r"imeisv|imei_sv|imei_software_version|"
            r"mac_address|mac_addr|macaddress|idfa|idfv|gaid|aaid|adid|advertising_id|ad_id|android_id|udid|"
            r"hardware_id|hw_id|device_fingerprint|serial|serial_number|imsi|iccid|sim|sim_serial|esn|"
            # A push-notification token names one app install; a Wi-Fi access point's BSSID is its MAC.
            r"push_token|device_token|fcm_token|gcm_token|apns_token|registration_token|firebase_token|bssid)"
        )
        + ID_SUFFIX
    )
    by_values = True
    MAC = r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"
    # "IMEI 3540...", "IMEI no. ...", "my phone's IMEI is ...".
    text_pattern = (
        rf"(?P<c>(?i:\bimei\b(?:\s*(?:number|no\.?|#))?(?:\s+is)?)\s*[:#=]?\s*)?\b(?P<v>{MAC}|\d{{15}})\b"
    )
    text_hint = TextHint(shapes=("hex_run15",))

    # A vendor's own device id ("dev-577970162956", "SN-4F9A2C11", "SN-FCECDABF"): one token of six
    # letters, digits and separators or more, with two digits or a run of six hex digits. Only where
    # a header says device.
    VENDOR_ID = r"^[A-Za-z0-9](?:[A-Za-z0-9._:/-]{4,62})[A-Za-z0-9]$"
    context_patterns = (
        TextPattern(
            r"(?i:\b(?:device|imei|meid|serial|s/n|sn|idfa|gaid|adid|advertising\s+id)"
            # A JSON key too: "idfa": "0684A87D-...".
            r"(?:\s*(?:id|no\.?|number|#))?)\"?[\s:#=]{1,3}\"?(?P<v>[A-Za-z0-9][A-Za-z0-9:._-]{6,62}[A-Za-z0-9])\b",
            TextHint(
                keywords=("device", "imei", "meid", "serial", "sn", "idfa", "gaid", "adid", "advertising")
            ),
            "validate_context",
        ),
        # A subscriber's IMSI (MCC, MNC, MSIN: 14-15 digits, no check digit) after its keyword.
        TextPattern(
            r"(?i:\bimsi(?:\s*(?:no\.?|number|#))?)[\s:#=]{1,3}(?P<v>[2-7]\d{13,14})\b",
            TextHint(keywords=("imsi",)),
            "validate_value",
        ),
        # A MAC address in Cisco's dotted form after its key ("mac": "a4b1.c2d3.e4f5", "MAC 0011.2233.4455",
        # all digits too: "mac 3499.4622.4151"): the key and the 4.4.4 shape are the evidence.
        TextPattern(
            r"(?i:\bmac(?:[\s_-]?addr(?:ess)?)?)\"?\s*[:=#]?\s*\"?(?P<v>[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})\b",
            TextHint(keywords=("mac",)),
            "validate_value",
        ),
        # An IMEISV after its key ("IMEISV 3540711592562107", "imei_sv=..."): 16 digits, no check digit.
        TextPattern(
            r"(?i:\bimei[\s_-]?sv(?:\s*(?:number|no\.?|#))?)\"?(?:\s+is)?[\s:#=\"]{1,4}(?P<v>\d{16})\b",
            TextHint(keywords=("imei",)),
            "validate_value",
        ),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        uuid = matches(
            values, r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
        )
        android = matches(values, r"^[0-9a-fA-F]{16}$")
        return self.evidence(values) | self._imei(values) | uuid | android | self._vendor_id(values)

    def _vendor_id(self, values: pa.Array) -> np.ndarray:
        shaped = matches(values, self.VENDOR_ID) & matches(values, r"(?:\d\D*){2}|[0-9A-Fa-f]{6}")
        return shaped & ~matches(values, TOKEN_REGEX)  # a token this platform wrote is no raw id

    def validate_context(self, found: pa.StructArray) -> np.ndarray:
        # After "device id" / "serial": any id with four digits or more, but not a model name
        # ("iPhone14,2") or a version ("10.0.19045"), which hold fewer digits or only dotted numbers.
        value = found.field("v")
        dotted_number = matches(value, r"^\d+(?:\.\d+)+$")
        # A serial in capitals with one digit ("serial number DMPRBREZ2UNU"): the keyword says device.
        serial = matches(value, r"^[A-Z0-9-]{8,}$") & matches(value, r"\d") & matches(value, r"[A-Z]")
        return (self.validate(value) | serial) & ~dotted_number

    def evidence(self, values: pa.Array) -> np.ndarray:
        return matches(values, rf"^(?:{self.MAC}|[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}})$")

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, HEX, min_bytes=14, max_bytes=17)

    @staticmethod
    def _imei(values: pa.Array) -> np.ndarray:
        return validate_where(
            values, matches(values, r"^\d{15}$"), lambda imei: luhn_valid(digits_of(imei, 15))
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A bare 15-digit number is only an IMEI when the text says so.
        value = found.field("v")
        return self.evidence(value) | (self._imei(value) & context_group(found, "c"))


# Words before a licence plate, in the languages of the exports we see.
_PLATE_WORDS = (
    r"plate|reg|rego|registration\s+(?:no|number)|kennzeichen|nummernschild|immatriculation|plaque|"
    r"matr[ií]cula|targa|kenteken"
)
# Each of _PLATE_WORDS starts with one of these (a hint keyword matches a word's start).
_PLATE_KEYWORDS = (
    "plate", "reg", "kennzeichen", "nummernschild", "immatriculation", "plaque", "matr", "targa", "kenteken",
)  # fmt: skip


def _plate_shaped(values: pa.Array) -> np.ndarray:
    """Which values are shaped like a licence plate: four to eight letters and digits, both, in
    groups of two or more ("E 1005" after "Reg" is a regulation's section), but for a German
    district before its dash ("B-MW 1234") or a Belgian leading digit ("1-ABC-123")."""
    compact = strip_chars(values, r"[ -]")
    return (
        matches(compact, r"^[A-Z0-9]{4,8}$")
        & matches(compact, r"[A-Z]")
        & matches(compact, r"\d")
        & ~matches(values, r"(?:^|[ -])[A-Z0-9](?:$| )")
    )


def _vin_transliteration() -> np.ndarray:
    """ISO 3779 character values indexed by byte code (I, O, Q never occur)."""
    table = np.zeros(256, dtype=np.int64)
    table[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
    for letters, start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        table[np.frombuffer(letters.encode(), dtype=np.uint8)] = np.arange(start, start + len(letters))
    return table


class VinRecognizer(Recognizer):
    id_type = IdType.VIN
    header = ANY_PREFIX + (
        r"(?:vin|vin_number|vin_no|vehicle_identification_number|vehicle_id_number|vehicle_vin|chassis_number)"
    )
    by_values = True
    text_pattern = r"\b(?P<v>[A-HJ-NPR-Z0-9]{17})\b"
    text_hint = TextHint(shapes=("upper_run17",))
    # A licence plate after its word ("plate ABC-1234", "reg KX19 ABC", "Kennzeichen B-MW 1234"): a
    # vehicle identifier, as HIPAA Safe Harbor names plates with VINs. Capitals, as plates are written.
    context_patterns = (
        TextPattern(
            rf"(?i:\b(?:{_PLATE_WORDS})\b\.?(?:\s*(?:no\.?|nr\.?|number|#))?)\s*[:#]?\s*"
            r"(?P<v>[A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4}){0,2})\b",
            TextHint(keywords=_PLATE_KEYWORDS),
            "validate_plate",
        ),
    )
    _WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
    _VALUE = _vin_transliteration()

    def validate(self, values: pa.Array) -> np.ndarray:
        # Many non-North-American VINs carry no check digit: a well-formed VIN in a VIN column counts.
        return matches(pc.utf8_upper(values), r"^[A-HJ-NPR-Z0-9]{17}$")

    def evidence(self, values: pa.Array) -> np.ndarray:
        upper = pc.utf8_upper(values)
        return validate_where(upper, self.validate(values) & matches(upper, "[A-Z]"), self._check_digit)

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Upper-casing may turn a non-ASCII letter (two bytes) into an ASCII one: longer values count too.
        return share_starting_with(
            values,
            DIGITS + LETTERS,
            non_ascii=True,
            min_bytes=17,
            max_bytes=17 * 4,
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.evidence(found.field("v"))

    def validate_plate(self, found: pa.StructArray) -> np.ndarray:
        # A capitalised word after the plate ("PLATE ABC-1234 SEEN") reads as a group of it: an
        # invalid match is checked again without its last group or two (the span keeps them).
        value = found.field("v")
        valid = _plate_shaped(value)
        for _ in range(2):
            retry = np.flatnonzero(~valid & matches(value, r"[ -][A-Z0-9]+$"))
            if retry.size == 0:
                break
            value = pc.replace_substring_regex(value, r"[ -][A-Z0-9]+$", "")
            valid[retry] = _plate_shaped(value.take(pa.array(retry)))
        return valid

    @classmethod
    def _check_digit(cls, values: pa.Array) -> np.ndarray:
        codes = right_aligned_codes(values, 17)
        remainder = (cls._VALUE[codes] * cls._WEIGHTS).sum(axis=1) % 11
        expected = np.where(remainder == 10, ord("X"), remainder + ord("0"))
        return codes[:, 8] == expected
