"""Built-in rule sets: one per regulation, each labelling the identifier findings whose type the
domain's policy assigns to that regulation (the policy is the single source of the mapping)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from compliance.rules.base import Rule, RuleContext, label_findings
from compliance.vocabulary import IDENTIFIER_TYPES, IdType, Regulation


class RegulationRuleSet(Rule):
    """Findings of the identifier types `regulation` owns in this domain -> violations labelled
    with the policy's severity and rule name."""

    def evaluate(self, ctx: RuleContext) -> pa.Table:
        labels = {
            id_type: label
            for id_type, label in ctx.policy.types.items()
            if label.regulation == self.regulation and id_type in IDENTIFIER_TYPES
        }
        return label_findings(ctx.findings, labels)


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

    def evaluate(self, ctx: RuleContext) -> pa.Table:
        violations = super().evaluate(ctx)
        is_gps = pc.equal(violations["type"], IdType.GPS_COORDINATES.value)
        if violations.num_rows == 0 or not pc.any(is_gps).as_py():
            return violations
        precise_number = rf"\d\.\d{{{ctx.policy.gps_precision}}}"
        gps = violations.filter(is_gps)
        kept = [violations.filter(pc.invert(is_gps))]
        # One vectorised check per GPS column (a handful), over the rows flagged in that column.
        for field in pc.unique(gps["field"]).to_pylist():
            in_field = gps.filter(pc.equal(gps["field"], field))
            if field not in ctx.batch.schema.names or not _castable_to_text(
                ctx.batch.schema.field(field).type
            ):
                kept.append(in_field)  # cannot read the value as text: keep rather than lose a violation
                continue
            values = pc.cast(ctx.column(field).take(in_field["row"]), pa.string())
            kept.append(
                in_field.filter(pc.fill_null(pc.match_substring_regex(values, precise_number), False))
            )
        return pa.concat_tables(kept)


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
