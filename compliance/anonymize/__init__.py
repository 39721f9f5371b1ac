"""Anonymizers of the compliance core: keyed tokenization of direct identifiers, k-anonymity
(+ l-diversity) of quasi-identifiers, and differential privacy for released aggregates."""

from compliance.anonymize.dp import BudgetExceeded, PrivacyAccountant, dp_count, dp_histogram, dp_mean
from compliance.anonymize.kanonymity import QUASI_KINDS, KAnonymityResult, k_anonymize
from compliance.anonymize.tokenize import TOKEN_REGEX, Tokenizer, TokenKey, TokenKeyError, coarsen_gps

__all__ = [
    "QUASI_KINDS",
    "TOKEN_REGEX",
    "BudgetExceeded",
    "KAnonymityResult",
    "PrivacyAccountant",
    "TokenKey",
    "TokenKeyError",
    "Tokenizer",
    "coarsen_gps",
    "dp_count",
    "dp_histogram",
    "dp_mean",
    "k_anonymize",
]
