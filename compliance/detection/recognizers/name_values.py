"""Values that are a person's name by their form alone (recognizers/people.py `evidence`): a column
whose header says nothing ("PAX", "col3") is a name column when most of its values take a form
only names take, with a known given name or an airline title to confirm it."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import matches, to_mask
from compliance.detection.recognizers.name_folding import folded_title
from compliance.detection.recognizers.name_words import (
    NOT_AN_ORGANISATION_LINE,
    NOT_SURNAME,
    ORGANISATION,
    PERSON_PLACEHOLDER,
)

# IATA passenger name: SURNAME/GIVEN NAMES and an optional title ("DEBRUIJN/MASON MSTR",
# "VAN DER BERG/ANNA MARIE MRS"). Routes ("LHR/JFK") and pairs ("EUR/USD") have the shape too,
# so the title or a known first given name must confirm it.
AIRLINE_FORM = r"^(?P<last>[A-Z][A-Z' -]*[A-Z])/(?P<first>[A-Z][A-Z'-]+)(?P<more>(?: [A-Z][A-Z'-]*)*)$"
AIRLINE_TITLES = frozenset(["MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF", "CHD", "INF"])
# Read as "GIVEN SURNAME" in a name column.
AIRLINE_NAME = r"^([A-Z][A-Z' -]*[A-Z])/([A-Z][A-Z' -]*?[A-Z])(?: (?:MR|MRS|MS|MISS|MSTR|DR|PROF|CHD|INF))?$"
# A list's "Surname, Given" ("Blin, Gabriel", "de Gruson, Sebastiaan", "Perez, Clarisa M."): a
# place ("Boston, MA", "Paris, France") only rarely has a given name after its comma.
_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž'’]+(?:-[A-ZÀ-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž'’]+)?"
_PARTICLE = r"(?i:van|von|de|der|den|del|della|di|da|du|la|le|ter|ten|dos|das|do|vom|zu|zur|het|te)|['’][st]"
SURNAME_FIRST_FORM = (
    rf"^(?:(?:{_PARTICLE}) ){{0,3}}(?P<last>{_WORD}(?: {_WORD})?), (?P<first>{_WORD})(?: {_WORD}| [A-Z]\.?)?$"
)


def name_by_form(values: pa.Array, given: pa.Array) -> np.ndarray:
    """Which `values` are names by their form: airline or "Surname, Given" with a first given name
    in `given` (folded, title case), or an airline title."""
    airline = pc.extract_regex(values, AIRLINE_FORM)
    first = folded_title(airline.field("first"))
    more = pc.utf8_split_whitespace(pc.fill_null(airline.field("more"), ""))
    titled = _last_word_in(more, AIRLINE_TITLES)
    found = to_mask(pc.is_valid(airline)) & (to_mask(pc.is_in(first, value_set=given)) | titled)
    listed = pc.extract_regex(values, SURNAME_FIRST_FORM)
    known = to_mask(pc.is_in(folded_title(listed.field("first")), value_set=given))
    surname_words = pc.utf8_split_whitespace(pc.fill_null(listed.field("last"), ""))
    place = _any_word_in(surname_words, NOT_SURNAME)
    return found | (to_mask(pc.is_valid(listed)) & known & ~place)


def _last_word_in(words: pa.ListArray, vocabulary: frozenset[str]) -> np.ndarray:
    """Whether each list's last word is in `vocabulary`."""
    lengths = np.asarray(pc.list_value_length(words).fill_null(0))
    flat = pc.list_flatten(words).to_pylist()
    ends = np.cumsum(lengths)
    return np.array(
        [bool(n) and flat[end - 1] in vocabulary for n, end in zip(lengths, ends, strict=True)], dtype=bool
    )


def _any_word_in(words: pa.ListArray, vocabulary: frozenset[str]) -> np.ndarray:
    flat = pc.list_flatten(words)
    hit = to_mask(pc.is_in(folded_title(flat), value_set=pa.array(sorted(vocabulary))))
    rows = pc.list_parent_indices(words).to_numpy()
    return np.bincount(rows[hit], minlength=len(words)) > 0


# An address's local part of a service, not a person ("googlealerts-noreply", "team-news").
_SERVICE_LOCAL = re.compile(r"no-?reply|donotreply|notif|alert|news|info|support|mailer|bounce|service|team")


def address_spells(first: pa.Array, last: pa.Array, local: pa.Array, *, both: bool = False) -> np.ndarray:
    """Whether an e-mail address's local part spells the display name before it: the surname after
    the given name's initial ("Kwame Asante <kasante@...>"), or the given name first ("Jo Torres
    <jo45@...>"), unless a service's; with `both`, whether it holds both words ("miguel.house")."""
    words = zip(
        pc.utf8_lower(folded_title(first)).to_pylist(),
        pc.utf8_lower(folded_title(last)).to_pylist(),
        pc.utf8_lower(local).to_pylist(),
        strict=True,
    )
    if both:
        return np.array([bool(g and s and p and g in p and s in p) for g, s, p in words], dtype=bool)
    return np.array(
        [
            bool(given and surname and part)
            and (
                (surname in part and part.startswith(given[0]))
                or (len(given) >= 2 and part.startswith(given) and not _SERVICE_LOCAL.search(part))
            )
            for given, surname, part in words
        ],
        dtype=bool,
    )


def placeholder_or_organisation(values: pa.Array, given: pa.Array) -> np.ndarray:
    """Which values of a column that names people are a form's placeholder for a person ("SELF",
    "Same as patient") or an organisation ("QUEST DIAGNOSTICS INC"), unless a person is named
    beside it ("Dr. Lee c/o Mercy Hospital") or a known given name (in `given`, folded) makes one
    word a surname ("Esmeralda Company", "Company, Dominga")."""
    placeholder = matches(values, PERSON_PLACEHOLDER)
    organisation = matches(values, ORGANISATION) & ~matches(values, NOT_AN_ORGANISATION_LINE)
    if organisation.any():
        rows = np.flatnonzero(organisation)
        pairs = pc.utf8_split_whitespace(values.take(pa.array(rows)))
        two = np.asarray(pc.fill_null(pc.equal(pc.list_value_length(pairs), 2), False))
        known = to_mask(pc.is_in(folded_title(pc.list_element(pairs, 0)), value_set=given))
        known |= matches(pc.list_element(pairs, 0), r",$") & to_mask(
            pc.is_in(folded_title(pc.list_element(pairs, 1)), value_set=given)
        )
        organisation[rows[two & known]] = False
    return placeholder | organisation


# A person as a record names a clinician or a colleague: "Dr. Lauren Patel NP", "Mary Jones, MD",
# "James White NP", or a given name and a surname ("Janet Stokes", "Tony Ali").
_CAP = r"\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?"
_CREDENTIAL = (
    r"(?:MD|DO|NP|PA|PA-C|RN|APRN|FNP|FNP-C|FNP-BC|DNP|PhD|DDS|DMD|OD|DPM|PharmD|CNM|CRNA|LPN|LVN|MBBS|"
    r"MRCGP|FRCP|FRCS|FACP|FAAFP|MSN|BSN|LCSW|LPC|PsyD|DC|DPT|OT|PT)"
)
_TITLED = rf"^(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.? (?:\p{{Lu}}\.? )?{_CAP}(?: {_CAP})?(?:,? {_CREDENTIAL}(?:,? {_CREDENTIAL})?)?$"
_CREDENTIALED = rf"^{_CAP}(?: \p{{Lu}}\.?| {_CAP})? {_CAP},? {_CREDENTIAL}(?:,? {_CREDENTIAL})?$"
GIVEN_SURNAME = rf"^(?P<first>{_CAP})(?: \p{{Lu}}\.?| {_CAP})? (?P<last>{_CAP})$"


def given_and_surname(values: pa.Array, given: pa.Array) -> np.ndarray:
    """Which values are a known given name (in `given`, folded, title case), an optional middle name
    or initial, and a surname that is no place or organisation word ("Tony Ali", not "Austin Street")."""
    pair = pc.extract_regex(values, GIVEN_SURNAME)
    known = to_mask(pc.is_in(folded_title(pair.field("first")), value_set=given))
    place = to_mask(pc.is_in(folded_title(pair.field("last")), value_set=_NOT_SURNAME_VALUES))
    return to_mask(pc.is_valid(pair)) & known & ~place


def person_by_role(values: pa.Array, given: pa.Array) -> np.ndarray:
    """Which values of a column a role names ("Manager", "PCP") read as a person: a title or a
    clinician's credentials around a name, a known given name and a surname, or a form only names
    take (name_by_form). Not a flag ("Y"), an id, or a payer or vendor ("Aetna", "AWS")."""
    return (
        matches(values, _TITLED)
        | matches(values, _CREDENTIALED)
        | given_and_surname(values, given)
        | matches(values, rf"^(?:\p{{Lu}}\. ?){{1,2}}{_CAP}$")
        | name_by_form(values, given)
    )


_NOT_SURNAME_VALUES = pa.array(sorted(NOT_SURNAME))
