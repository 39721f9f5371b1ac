"""Rule engine and rule sets: findings + column classes + policy -> violations.

Extend with your own rules: subclass `Rule` and call `engine.add_rule(MyRule())`
(see docs/custom-rules.md).
"""

from compliance.rules.base import (
    FINDINGS_SCHEMA,
    VIOLATION_SCHEMA,
    Rule,
    RuleContext,
    empty_violations,
    label_findings,
    violations_at,
)
from compliance.rules.domain import detect_domain
from compliance.rules.engine import RuleEngine
from compliance.rules.gdpr_policy import MissingConsentRule, RetentionExceededRule, parse_dates
from compliance.rules.regulations import (
    BUILTIN_RULE_SETS,
    GdprRuleSet,
    HipaaRuleSet,
    LocationRuleSet,
    PciDssRuleSet,
    RegulationRuleSet,
)

__all__ = [
    "BUILTIN_RULE_SETS",
    "FINDINGS_SCHEMA",
    "VIOLATION_SCHEMA",
    "GdprRuleSet",
    "HipaaRuleSet",
    "LocationRuleSet",
    "MissingConsentRule",
    "PciDssRuleSet",
    "RegulationRuleSet",
    "RetentionExceededRule",
    "Rule",
    "RuleContext",
    "RuleEngine",
    "detect_domain",
    "empty_violations",
    "label_findings",
    "parse_dates",
    "violations_at",
]
