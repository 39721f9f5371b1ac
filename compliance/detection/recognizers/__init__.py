"""The recognizers, one per identifier type, and REGISTRY, the order in which they are tried.

Each recognizer is a small class (header rule, vectorised validator, free-text patterns: base.py)
in the module of its family; adding a type is a class there and its place in REGISTRY.
Registry order is priority: the first recognizer whose header rule matches names the column, so
"email_address" is EMAIL before STREET_ADDRESS sees "address"; the first of equally good types by
values, and of equal free-text spans, wins too.
"""

from __future__ import annotations

from compliance.detection.recognizers.base import Recognizer, TextPattern
from compliance.detection.recognizers.contact import EmailRecognizer, UrlRecognizer
from compliance.detection.recognizers.devices import DeviceIdRecognizer, IpAddressRecognizer, VinRecognizer
from compliance.detection.recognizers.financial import (
    BankAccountRecognizer,
    CardCvvRecognizer,
    CreditCardRecognizer,
    IbanRecognizer,
)
from compliance.detection.recognizers.foreign_ids import NationalIdRecognizer
from compliance.detection.recognizers.gps import GpsRecognizer
from compliance.detection.recognizers.health import (
    DateOfBirthRecognizer,
    HealthPlanIdRecognizer,
    MrnRecognizer,
    NpiRecognizer,
)
from compliance.detection.recognizers.location import (
    StreetAddressRecognizer,
    ZipCodeRecognizer,
)
from compliance.detection.recognizers.national_ids import (
    DriverLicenseRecognizer,
    PassportRecognizer,
    SsnRecognizer,
)
from compliance.detection.recognizers.people import PersonNameRecognizer
from compliance.detection.recognizers.phones import PhoneRecognizer
from compliance.vocabulary import IdType

REGISTRY: list[type[Recognizer]] = [
    SsnRecognizer,
    NationalIdRecognizer,
    CreditCardRecognizer,
    CardCvvRecognizer,
    IbanRecognizer,
    BankAccountRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
    IpAddressRecognizer,
    UrlRecognizer,
    PersonNameRecognizer,
    StreetAddressRecognizer,
    ZipCodeRecognizer,
    DateOfBirthRecognizer,
    MrnRecognizer,
    NpiRecognizer,
    HealthPlanIdRecognizer,
    DriverLicenseRecognizer,
    PassportRecognizer,
    VinRecognizer,
    DeviceIdRecognizer,
    GpsRecognizer,
]

RECOGNIZERS_BY_TYPE: dict[IdType, type[Recognizer]] = {cls.id_type: cls for cls in REGISTRY}

__all__ = [
    "RECOGNIZERS_BY_TYPE",
    "REGISTRY",
    "BankAccountRecognizer",
    "CardCvvRecognizer",
    "CreditCardRecognizer",
    "DateOfBirthRecognizer",
    "DeviceIdRecognizer",
    "DriverLicenseRecognizer",
    "EmailRecognizer",
    "GpsRecognizer",
    "HealthPlanIdRecognizer",
    "IbanRecognizer",
    "IpAddressRecognizer",
    "MrnRecognizer",
    "NationalIdRecognizer",
    "NpiRecognizer",
    "PassportRecognizer",
    "PersonNameRecognizer",
    "PhoneRecognizer",
    "Recognizer",
    "SsnRecognizer",
    "StreetAddressRecognizer",
    "TextPattern",
    "UrlRecognizer",
    "VinRecognizer",
    "ZipCodeRecognizer",
]
