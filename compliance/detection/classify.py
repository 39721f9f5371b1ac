"""Column classification: what each column of a file is, from its header (normalised, with
synonyms and abbreviations spelled out) and a sample of its values (docs/detection.md, "Column
roles"). The Detector (compliance/detection/__init__.py) is a ColumnClassifier that then finds the
identifiers of each batch."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.columns import ColumnClass, ColumnRole
from compliance.detection import headers, phone
from compliance.detection.arrays import as_strings, lengths, matches
from compliance.detection.confusables import folded_values
from compliance.detection.recognizers import Recognizer
from compliance.vocabulary import IdType

# Share of a sample that must validate for values alone to type a column.
VALUES_THRESHOLD = 0.8
# Below this share a header-named type yields to a type the values prove.
HEADER_DOUBT = 0.5
# A column of e-mails and phone numbers mixed: each at least this share (of the sample; of the
# values that are not e-mails) makes it a contact column (ColumnClassifier._contact_by_values).
_CONTACT_SHARE = 0.2
# A column of short values most of which hold a phone number beside other words ("Jo Roe / 0807
# 463704", "Reception 020 7946 0958"): a contact list under a header that says nothing. Its numbers
# have no keyword, so free-text detection would leave those of countries not tried raw.
_PHONE_SHARE = 0.5
_SHORT_VALUE = 64  # bytes: longer values are notes, where a number needs a keyword
_WORD = r"[^\W\d_]{2,}"
_NUMBER_WORD = r"(?:^|\s)[(+]?\d[\d ().\-/]{5,20}\d(?:\s|$)"
# A column of people's national numbers from many countries ("col_5": "123-45-6789", "AB123456C",
# "1850512345678"): at least this share proves a national number by its own form...
_NATIONAL_SHARE = 0.3
_NATIONAL_PROVEN = 3  # ...and at least this many values (a small file proves little)
# ...and most values have the shape of an identity number: a few letters at most, 6-20 digits.
_ID_SHAPE = r"^[A-Za-z]{0,3} ?\d[\d .\-/]{4,24}[A-Za-z]?$"
_NATIONAL_TYPES = (IdType.SSN, IdType.NATIONAL_ID)
_QUASI_OF_TYPE = {IdType.ZIP_CODE: "zip", IdType.DATE_OF_BIRTH: "date"}


class ColumnClassifier:
    """Classifies the columns of a batch with `recognizers` from up to `sample_size` values each."""

    def __init__(self, recognizers: list[Recognizer], sample_size: int) -> None:
        self.recognizers = recognizers
        self.sample_size = sample_size
        self._by_type = {recognizer.id_type: recognizer for recognizer in recognizers}

    def classify(self, batch: pa.RecordBatch) -> list[ColumnClass]:
        """One ColumnClass per column of the batch, in schema order (header + sampled values)."""
        fields = list(batch.schema.names)
        pairs = headers.gps_pairs(fields)
        gps = self._by_type.get(IdType.GPS_COORDINATES)
        for latitude, longitude in headers.axis_pairs(fields).items():
            # "y"/"x" columns are a position only when their values are precise latitudes/longitudes.
            if gps is not None and self._axes_are_position(gps, batch, latitude, longitude):
                pairs[latitude] = longitude
        halves = set(pairs) | set(pairs.values())
        classes = []
        for index, field in enumerate(fields):
            if field in halves:
                classes.append(ColumnClass(field, ColumnRole.IDENTIFIER, IdType.GPS_COORDINATES))
            else:
                classes.append(self._classify_column(field, batch.column(index)))
        return classes

    def _axes_are_position(
        self, gps: Recognizer, batch: pa.RecordBatch, latitude: str, longitude: str
    ) -> bool:
        """Whether most sampled rows of a "y"/"x" column pair hold a precise position."""
        size = min(batch.num_rows, self.sample_size)
        if size == 0:
            return False
        rows = pa.array(np.linspace(0, batch.num_rows - 1, size).astype(np.int64))
        lat = as_strings(batch.column(latitude).take(rows))
        lon = as_strings(batch.column(longitude).take(rows))
        present = np.asarray(pc.fill_null(pc.and_(lat.is_valid(), lon.is_valid()), False))
        return present.any() and _rate(gps.validate_pair(lat, lon)[present]) >= VALUES_THRESHOLD

    def _classify_column(self, field: str, column: pa.Array, reading: str | None = None) -> ColumnClass:
        name = reading or headers.normalize_header(field)
        if headers.NOT_IDENTIFIER.fullmatch(name):
            return ColumnClass(field, ColumnRole.NOT_IDENTIFIER)
        if headers.CONSENT.fullmatch(name):
            return ColumnClass(field, ColumnRole.CONSENT)
        if headers.RECORD_DATE.fullmatch(name):
            return ColumnClass(field, ColumnRole.RECORD_DATE)
        kind = headers.quasi_kind(name)
        if kind:
            return ColumnClass(field, ColumnRole.QUASI_IDENTIFIER, quasi_kind=kind)
        sample = self._sample(column)
        limit = headers.gps_half(name)
        gps = self._by_type.get(IdType.GPS_COORDINATES)
        if (
            limit is not None
            and gps is not None
            and len(sample)
            and (gps.validate_half(sample, limit) | gps.published(sample)).any()
        ):
            return ColumnClass(field, ColumnRole.IDENTIFIER, IdType.GPS_COORDINATES, evidence="header+values")
        # "zipCode5", "phone2": a number glued to the header's last word counts as a suffix token.
        bare = None if headers.SENSITIVE.fullmatch(name) else headers.without_ordinal(name)
        named = next((r for r in self.recognizers if r.names(name) or (bare and r.names(bare))), None)
        rate = _rate(named.validate(padded(sample, column, named))) if named is not None else 0.0
        if named is not None and named.header_needs_values and len(sample) and rate == 0:
            named = None
        if named is not None:
            if rate < HEADER_DOUBT and len(sample):
                proven = self._type_by_values(sample, rival_of=named)
                if proven is not None and proven is not named:
                    return self._identifier(field, proven, "values")
            return self._identifier(field, named, "header+values" if rate > 0 else "header")
        by_role = self._named_with_values(name, sample, column)
        if by_role is not None:
            return self._identifier(field, by_role, "header+values")
        if headers.FREE_TEXT.fullmatch(name) or (bare and headers.FREE_TEXT.fullmatch(bare)):
            return ColumnClass(field, ColumnRole.FREE_TEXT)
        # "PAT_BRTH_DT", "SUBSCR_NM", "MRN_NO": the header read with its abbreviations spelled out.
        spelled = headers.spelled_out(name, lambda text: any(r.names(text) for r in self.recognizers))
        if reading is None and spelled is not None:
            return self._classify_column(field, column, spelled)
        proven = self._type_by_values(sample)
        if proven is not None:
            return self._identifier(field, proven, "values")
        if headers.SENSITIVE.fullmatch(name) or (bare and headers.SENSITIVE.fullmatch(bare)):
            return ColumnClass(field, ColumnRole.SENSITIVE)
        if self._contact_by_values(sample):
            return ColumnClass(field, ColumnRole.SENSITIVE, evidence="values")
        if self._national_numbers_by_values(sample):
            return self._identifier(field, self._by_type[IdType.NATIONAL_ID], "values")
        if len(sample) and _rate(matches(sample, r"\S+\s+\S+\s+\S+\s+\S+") & (lengths(sample) >= 20)) >= 0.5:
            return ColumnClass(field, ColumnRole.FREE_TEXT, evidence="values")
        return ColumnClass(field, ColumnRole.OTHER, evidence="header+values")

    def _named_with_values(self, name: str, sample: pa.Array, column: pa.Array) -> Recognizer | None:
        """The recognizer whose `header_with_values` names the header ("manager", "pcp") and whose
        validator accepts at least HEADER_DOUBT of the sample, or None."""
        if not len(sample):
            return None
        return next(
            (
                recognizer
                for recognizer in self.recognizers
                if recognizer.names_with_values(name)
                and _rate(recognizer.validate_by_role(padded(sample, column, recognizer))) >= HEADER_DOUBT
            ),
            None,
        )

    def _contact_by_values(self, sample: pa.Array) -> bool:
        """Whether a column whose header says nothing holds people's contacts, in either of two forms:
        e-mails beside phone numbers ("j.roe@example.org", "(313) 457-4183", "3134574183"), each
        too few to type the column but together most of it (_CONTACT_SHARE each); or short values
        most of which hold a phone number beside words ("Jo Roe / 0807 463704", "Reception 020
        7946 0958", _PHONE_SHARE). Such a column is typed value by value like a "contact" column,
        so numbers without a keyword are checked as phones of any country, not left raw."""
        if len(sample) == 0:
            return False
        email, phone_numbers = self._by_type.get(IdType.EMAIL), self._by_type.get(IdType.PHONE)
        if email is not None and phone_numbers is not None:
            emails = np.asarray(email.evidence(sample), dtype=bool)
            others = np.flatnonzero(~emails)
            if _rate(emails) >= _CONTACT_SHARE and others.size:
                phones = np.asarray(phone_numbers.evidence(sample.take(pa.array(others))), dtype=bool)
                if float(phones.mean()) >= _CONTACT_SHARE:
                    return True
        # Words of letters beside a number as a word of its own: not a reference's digits
        # ("CLM-2023-3251194", "TXN-2024...").
        beside_words = (
            (lengths(sample) <= _SHORT_VALUE) & matches(sample, _WORD) & matches(sample, _NUMBER_WORD)
        )
        return (
            _rate(beside_words) >= _PHONE_SHARE
            and _rate(beside_words & phone.numbers_in(sample)) >= _PHONE_SHARE
        )

    def _national_numbers_by_values(self, sample: pa.Array) -> bool:
        """Whether a column whose header says nothing holds national numbers of several countries:
        each country's share too small to type the column, but together a good part of it proven
        (_NATIONAL_SHARE) and nearly all of it shaped like one (VALUES_THRESHOLD). Such a column is
        typed as national numbers: what no rule validates is typed value by value and fails closed,
        so a number of a country without a rule is not left raw beside the ones that have one."""
        if (
            IdType.NATIONAL_ID not in self._by_type
            or len(sample) == 0
            or _rate(matches(sample, _ID_SHAPE)) < VALUES_THRESHOLD
        ):
            return False
        proven = np.zeros(len(sample), dtype=bool)
        for id_type in _NATIONAL_TYPES:
            recognizer = self._by_type.get(id_type)
            if recognizer is not None:
                proven |= np.asarray(recognizer.evidence(sample), dtype=bool)
        if _rate(proven) < _NATIONAL_SHARE or np.count_nonzero(proven) < _NATIONAL_PROVEN:
            return False
        # A run of digits that passes a country's check may do so by chance (a twelve-digit claim
        # number passes Aadhaar's one time in ten); a separator or letter in the form, or several
        # countries' forms side by side, do not.
        shapes = pc.unique(pc.replace_substring_regex(sample.filter(pa.array(proven)), r"\d+", "9"))
        return len(shapes) > 1 or shapes[0].as_py() != "9"

    @staticmethod
    def _identifier(field: str, recognizer: Recognizer, evidence: str) -> ColumnClass:
        id_type = recognizer.id_type
        return ColumnClass(field, ColumnRole.IDENTIFIER, id_type, _QUASI_OF_TYPE.get(id_type), evidence)

    def _sample(self, column: pa.Array) -> pa.Array:
        """Up to `sample_size` non-empty values spread over the batch (a sorted file is not skewed)."""
        strings = as_strings(column)
        present = strings.filter(pc.fill_null(pc.greater(pc.utf8_length(strings), 0), False))
        if len(present) > self.sample_size:
            present = present.take(
                pa.array(np.linspace(0, len(present) - 1, self.sample_size).astype(np.int64))
            )
        return folded_values(present)

    def _type_by_values(self, sample: pa.Array, rival_of: Recognizer | None = None) -> Recognizer | None:
        """The recognizer whose evidence covers the largest share of the sample, at least
        VALUES_THRESHOLD (the first in registry order on a tie), or None.

        With `rival_of`, the caller only asks whether another type beats that one, so its evidence
        (for phones, `phonenumbers` per value: most of a file's classification time) is computed
        only when some other type reaches the threshold; otherwise None, which the caller treats
        as it would `rival_of` itself.
        """
        if len(sample) == 0:
            return None
        by_values = [recognizer for recognizer in self.recognizers if recognizer.by_values]
        rates = {id(r): _evidence_rate(r, sample) for r in by_values if r is not rival_of}
        if rival_of is not None:
            if max(rates.values(), default=0.0) < VALUES_THRESHOLD:
                return None
            if rival_of.by_values:
                rates[id(rival_of)] = _evidence_rate(rival_of, sample)
        best, best_rate = None, VALUES_THRESHOLD
        for recognizer in by_values:
            rate = rates[id(recognizer)]
            if rate >= best_rate and (best is None or rate > best_rate):
                best, best_rate = recognizer, rate
        return best


def padded(strings: pa.Array, column: pa.Array, recognizer: Recognizer) -> pa.Array:
    """Integer columns lose leading zeros (ZIP 02134 -> 2134): restore them to the type's width."""
    if recognizer.integer_width and pa.types.is_integer(column.type):
        return pc.utf8_lpad(strings, recognizer.integer_width, "0")
    return strings


def _evidence_rate(recognizer: Recognizer, sample: pa.Array) -> float:
    """The share of `sample` that proves `recognizer`'s type; 0 when it is surely below VALUES_THRESHOLD."""
    if recognizer.evidence_ceiling(sample) < VALUES_THRESHOLD:
        return 0.0
    return _rate(recognizer.evidence(sample))


def _rate(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else 0.0
