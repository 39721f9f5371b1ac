"""Which values the record formats of the corpus fixtures hold by position or tag, read from the
formats' own definitions (X12 005010 segments, IATA PNR SSR DOCS, vCard RFC 6350), independently
of the platform's detectors. Each field is returned with the type its position says; the label
checker then validates the value itself (a DMG date must be a birth date, an NM109 an id...)."""

from __future__ import annotations

import datetime as dt
import re

# NM108 id code qualifiers: member id (MI), health identifier (II), SSN (34), NPI (XX).
X12_ID_QUALIFIER = {"MI": "HEALTH_PLAN_ID", "II": "HEALTH_PLAN_ID", "34": "SSN", "XX": "NPI"}


def x12_fields(text: str) -> list[tuple[str, str]]:
    """(type, value) of each X12 element that names a person: segments end with "~" (or a line
    break), elements are separated by "*"."""
    out: list[tuple[str, str]] = []
    for segment in re.split(r"~|\n", text):
        e = segment.strip().split("*")
        tag = e[0]
        if tag == "NM1" and len(e) > 4 and e[2] == "1":  # NM102 1: a person (2 is an organisation)
            out.append(("PERSON_NAME", f"{e[3]} {e[4]}".strip()))
        if tag == "NM1" and len(e) > 9 and e[8] in X12_ID_QUALIFIER:
            out.append((X12_ID_QUALIFIER[e[8]], e[9]))
        elif tag == "N3" and len(e) > 1:
            out.append(("STREET_ADDRESS", e[1]))
        elif tag == "N4" and len(e) > 3:  # city, state, postal code
            out.append(("ZIP_CODE", e[3]))
        elif tag == "DMG" and len(e) > 2 and e[1] == "D8":  # D8: a CCYYMMDD date of birth
            out.append(("DATE_OF_BIRTH", e[2]))
        elif tag == "REF" and len(e) > 2 and e[1] == "SY":
            out.append(("SSN", e[2]))
    return out


def pnr_docs_fields(text: str) -> list[tuple[str, str]]:
    """(type, value) of the passport of an SSR DOCS element: doc type / issuer / number /
    nationality / birth date (DDMONYY) / sex / expiry / surname / given names."""
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"\b(?:SSR DOCS|SRDOCS)\b[^/\n]*/?(P/[^\n]*)", text):
        e = m[1].split("/")
        if len(e) < 9:
            continue
        out.append(("PASSPORT", e[2]))
        born = ddmonyy(e[4])
        if born:
            out.append(("DATE_OF_BIRTH", born))
        out.append(("PERSON_NAME", f"{e[7]} {e[8]}".strip()))
    return out


def ddmonyy(value: str) -> str | None:
    """A PNR birth date ("04MAR61") in ISO form, its two-digit year in the past; None if it is none."""
    try:
        day = dt.datetime.strptime(value.title(), "%d%b%y").date()
    except ValueError:
        return None
    if day.year > dt.date.today().year:  # strptime reads 00-68 as 20xx: a birth date is in the past
        day = day.replace(year=day.year - 100)
    return day.isoformat()


def vcard_fields(text: str) -> list[tuple[str, str]]:
    """(type, value) of the vCard properties that name a person: N (family;given;...), ADR (PO
    box;extended;street;locality;region;postal code;country) and BDAY."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        prop = name.split(";")[0].upper()
        if prop == "N":
            out.append(("PERSON_NAME", " ".join(p for p in value.split(";") if p)))
        elif prop == "ADR":
            parts = value.split(";")
            if len(parts) >= 6:
                out.append(("STREET_ADDRESS", parts[2]))
                out.append(("ZIP_CODE", parts[5]))
        elif prop == "BDAY":
            out.append(("DATE_OF_BIRTH", value))
    return out


def record_fields(text: str) -> list[tuple[str, str]]:
    """Every typed field of the X12, PNR and vCard records in `text`."""
    out = pnr_docs_fields(text)
    if "BEGIN:VCARD" in text:
        out += vcard_fields(text)
    if re.search(r"\b(?:ISA|ST|NM1)\*", text):
        out += x12_fields(text)
    return out
