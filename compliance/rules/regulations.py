"""Built-in rule sets: one per regulation, each labelling the identifier findings whose type the
domain's policy assigns to that regulation (the policy is the single source of the mapping)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.coordinates import positions_as_pairs
from compliance.rules.base import RuleContext
from compliance.rules.codes import TYPE_CODE, CodedRule, CodedViolations, ViolationCodes
from compliance.vocabulary import IDENTIFIER_TYPES, IdType, Regulation

_GPS = TYPE_CODE[IdType.GPS_COORDINATES.value]


class RegulationRuleSet(CodedRule):
    """Findings of the identifier types `regulation` owns in this domain -> violations labelled
    with the policy's severity and rule name."""

    def coded_violations(self, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
        labels = {
            id_type: label
            for id_type, label in ctx.policy.types.items()
            if label.regulation == self.regulation and id_type in IDENTIFIER_TYPES
        }
        return codes.label_findings(labels)


class HipaaRuleSet(RegulationRuleSet):
    name = "hipaa"
    regulation = Regulation.HIPAA.value


class GdprRuleSet(RegulationRuleSet):
    name = "gdpr"
    regulation = Regulation.GDPR.value


class PciDssRuleSet(RegulationRuleSet):
    # Every policy maps CARD_CVV to PCI-DSS critical (enforced when the policy loads), so a stored
    # CVV is critical whatever the domain.
    name = "pci_dss"
    regulation = Regulation.PCI_DSS.value


class LocationRuleSet(RegulationRuleSet):
    """Like the others, except that a position is a violation only when it is precise: a number
    with at least `policy.gps_precision` decimals (3 decimals ~ 110 m). Coarsened positions pass."""

    name = "location"
    regulation = Regulation.LOCATION.value

    def coded_violations(self, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
        violations = super().coded_violations(ctx, codes)
        is_gps = violations.types == _GPS
        if not is_gps.any():
            return violations
        precise_number = rf"\d\.\d{{{ctx.policy.gps_precision}}}"
        kept = np.flatnonzero(~is_gps)
        gps = np.flatnonzero(is_gps)
        parts = [kept]
        # One vectorised check per GPS column (a handful), over the rows flagged in that column.
        for field_code in dict.fromkeys(violations.fields[gps].tolist()):
            in_field = gps[violations.fields[gps] == field_code]
            field = codes.fields[field_code] if field_code >= 0 else None
            if field not in ctx.batch.schema.names or not _castable_to_text(
                ctx.batch.schema.field(field).type
            ):
                parts.append(in_field)  # cannot read the value as text: keep rather than lose a violation
                continue
            values = pc.cast(ctx.column(field).take(pa.array(violations.rows[in_field])), pa.string())
            values = positions_as_pairs(values)  # WKT and degree notations read as decimals
            precise = pc.fill_null(pc.match_substring_regex(values, precise_number), False)
            parts.append(in_field[precise.to_numpy(zero_copy_only=False)])
        keep = np.concatenate(parts)
        return CodedViolations(*(column[keep] for column in violations))


def _castable_to_text(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_integer(data_type)
        or pa.types.is_decimal(data_type)
    )


BUILTIN_RULE_SETS: tuple[type[RegulationRuleSet], ...] = (
    HipaaRuleSet,
    PciDssRuleSet,
    GdprRuleSet,
    LocationRuleSet,
)
