"""Versioned per-domain compliance policies (compliance/policies/<domain>.yaml).

A policy is the single source of the regulation mapping: for every type of the vocabulary it says
which regulation, severity and rule name apply in that domain and how the value is anonymized,
plus the domain's retention period and k-anonymity settings. Files are validated on load so a
typo fails loudly with the file and key instead of silently dropping a violation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from compliance.vocabulary import IDENTIFIER_TYPES, Domain, IdType, Regulation, Severity

POLICY_DIR = Path(__file__).with_name("policies")

# What an anonymizer may do with a value of a type; the anonymization package implements them.
ANONYMIZERS = frozenset({"tokenize", "truncate_last4", "coarsen", "generalize", "drop", "keep"})

_REQUIRED_KEYS = (
    "version",
    "domain",
    "retention_days",
    "k",
    "max_suppression",
    "quasi_identifiers",
    "sensitive_attributes",
    "gps_precision",
    "types",
)
_OPTIONAL_KEYS = ("l", "dp_epsilon_budget")
_TYPE_RULE_KEYS = ("regulation", "severity", "rule", "anonymizer")
_OPTIONAL_TYPE_RULE_KEYS = ("reversible",)
# Total epsilon the differentially private releases of one domain may spend, when the file says none.
DEFAULT_DP_EPSILON_BUDGET = 10.0


@dataclass(frozen=True, slots=True)
class TypeRule:
    """How one type is labelled and anonymized in a domain."""

    regulation: str
    severity: str
    rule: str
    anonymizer: str
    # The original value is kept encrypted in the re-identification vault (tokenize only).
    reversible: bool = False


@dataclass(frozen=True)
class Policy:
    domain: str
    version: int
    retention_days: int
    k: int
    l: int | None  # noqa: E741 - the standard name of l-diversity
    max_suppression: float
    quasi_identifiers: tuple[str, ...]
    sensitive_attributes: tuple[str, ...]
    gps_precision: int
    types: Mapping[str, TypeRule] = field(hash=False)
    dp_epsilon_budget: float = DEFAULT_DP_EPSILON_BUDGET

    @property
    def reversible_types(self) -> frozenset[str]:
        """The types whose original values go to the re-identification vault."""
        return frozenset(t for t, rule in self.types.items() if rule.reversible)

    def label_for(self, id_type: str) -> TypeRule:
        """The regulation/severity/rule/anonymizer of `id_type` in this domain."""
        try:
            return self.types[str(id_type)]
        except KeyError:
            raise ValueError(
                f"policy {self.domain!r} v{self.version} has no rule for type {id_type!r}; "
                f"known types: {', '.join(sorted(self.types))}"
            ) from None


def load_policy(domain: str, path: str | Path | None = None) -> Policy:
    """The packaged policy of `domain`, or the user policy file at `path` (whose domain must match).

    Raises ValueError naming the file and the offending key when the file is invalid.
    """
    if path is None:
        if domain not in Domain.__members__.values():
            raise ValueError(f"unknown domain {domain!r}; expected one of {', '.join(Domain)}")
        return _load_packaged(domain)
    policy = _load_file(Path(path))
    if policy.domain != domain:
        raise ValueError(f"{path}: policy is for domain {policy.domain!r}, not {domain!r}")
    return policy


@functools.cache
def _load_packaged(domain: str) -> Policy:
    # Cached: engines are built per batch/file and the packaged files never change at runtime.
    return _load_file(POLICY_DIR / f"{domain}.yaml")


def _load_file(path: Path) -> Policy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read policy file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    return _parse(raw, str(path))


def _parse(raw: Any, where: str) -> Policy:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a policy must be a mapping of keys, got {type(raw).__name__}")
    _check_keys(raw, _REQUIRED_KEYS, _OPTIONAL_KEYS, where)

    domain = raw["domain"]
    if domain not in Domain.__members__.values():
        raise ValueError(f"{where}: key 'domain': {domain!r} is not one of {', '.join(Domain)}")
    l_value = raw.get("l")
    policy = Policy(
        domain=str(domain),
        version=_int(raw, "version", where, minimum=1),
        retention_days=_int(raw, "retention_days", where, minimum=1),
        k=_int(raw, "k", where, minimum=1),
        l=None if l_value is None else _int(raw, "l", where, minimum=1),
        max_suppression=_fraction(raw, "max_suppression", where),
        quasi_identifiers=_names(raw, "quasi_identifiers", where),
        sensitive_attributes=_names(raw, "sensitive_attributes", where),
        gps_precision=_int(raw, "gps_precision", where, minimum=0),
        types=_types(raw["types"], where),
        dp_epsilon_budget=_positive_float(raw, "dp_epsilon_budget", where, DEFAULT_DP_EPSILON_BUDGET),
    )
    return policy


def _int(raw: dict, key: str, where: str, *, minimum: int) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: key {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _fraction(raw: dict, key: str, where: str) -> float:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{where}: key {key!r} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _positive_float(raw: dict, key: str, where: str, default: float) -> float:
    if key not in raw:
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise ValueError(f"{where}: key {key!r} must be a number > 0, got {value!r}")
    return float(value)


def _names(raw: dict, key: str, where: str) -> tuple[str, ...]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{where}: key {key!r} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _types(raw_types: Any, where: str) -> Mapping[str, TypeRule]:
    if not isinstance(raw_types, dict):
        raise ValueError(f"{where}: key 'types' must map each type to its rule")
    unknown = sorted(set(map(str, raw_types)) - set(IdType))
    if unknown:
        raise ValueError(f"{where}: key 'types': unknown type(s) {', '.join(unknown)}")
    missing = [t.value for t in IdType if t.value not in raw_types]
    if missing:
        raise ValueError(f"{where}: key 'types': no rule for type(s) {', '.join(missing)}")

    types: dict[str, TypeRule] = {}
    for id_type in IdType:
        entry = raw_types[id_type.value]
        key = f"types.{id_type.value}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: key {key!r} must be a mapping with {', '.join(_TYPE_RULE_KEYS)}")
        _check_keys(entry, _TYPE_RULE_KEYS, _OPTIONAL_TYPE_RULE_KEYS, f"{where}: key {key!r}")
        _check_choice(entry, "regulation", set(Regulation), where, key)
        _check_choice(entry, "severity", set(Severity), where, key)
        _check_choice(entry, "anonymizer", ANONYMIZERS, where, key)
        if not isinstance(entry["rule"], str) or not entry["rule"].strip():
            raise ValueError(f"{where}: key '{key}.rule' must be a non-empty rule name")
        reversible = entry.get("reversible", False)
        if not isinstance(reversible, bool):
            raise ValueError(f"{where}: key '{key}.reversible' must be true or false, got {reversible!r}")
        if reversible and entry["anonymizer"] != "tokenize":
            # Only a whole-value token names one stored value; a truncated, coarsened or dropped
            # value has no token to re-identify by.
            raise ValueError(
                f"{where}: key '{key}.reversible': only a type anonymized by 'tokenize' may be "
                f"reversible, not one by {entry['anonymizer']!r}"
            )
        types[id_type.value] = TypeRule(
            regulation=entry["regulation"],
            severity=entry["severity"],
            rule=entry["rule"],
            anonymizer=entry["anonymizer"],
            reversible=reversible,
        )

    kept = sorted(t for t, rule in types.items() if t in IDENTIFIER_TYPES and rule.anonymizer == "keep")
    if kept:
        # Fail closed: a value the detectors call an identifier is never loaded as it is.
        raise ValueError(f"{where}: identifier type(s) {', '.join(kept)} may not use anonymizer 'keep'")

    cvv = types[IdType.CARD_CVV]
    if (cvv.regulation, cvv.severity) != (Regulation.PCI_DSS, Severity.CRITICAL):
        # PCI-DSS forbids storing a CVV after authorisation in every domain.
        raise ValueError(f"{where}: key 'types.CARD_CVV' must be regulation PCI-DSS, severity critical")
    return MappingProxyType(types)


def _check_keys(entry: dict, required: Iterable[str], optional: Iterable[str], where: str) -> None:
    """`entry` has every `required` key and no key outside `required` and `optional`."""
    missing = [k for k in required if k not in entry]
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(set(entry) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _check_choice(entry: dict, name: str, allowed: set[str] | frozenset[str], where: str, key: str) -> None:
    if entry[name] not in allowed:
        raise ValueError(
            f"{where}: key '{key}.{name}': {entry[name]!r} is not one of {', '.join(sorted(allowed))}"
        )
