"""Example custom rule, shown in docs/custom-rules.md and run by the tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.policy import TypeRule
from compliance.rules import Rule, RuleContext, empty_violations, label_findings

# ICD-10 codes of HIV disease and HIV status: B20-B24, Z21, R75, O98.7, B97.35.
HIV_ICD10 = r"(?i)\b(?:B2[0-4]|Z21|R75|O98\.7|B97\.35)"


class HivDiagnosisRule(Rule):
    """A diagnosis with an HIV code makes the row's identifiers far more harmful if leaked, so every
    identifier found in such a row is reported as HIPAA critical (it outranks the policy's label)."""

    name = "hipaa.sensitive_condition.hiv"
    regulation = "HIPAA"

    def __init__(self, diagnosis_field: str = "diagnosis") -> None:
        self.diagnosis_field = diagnosis_field

    def evaluate(self, ctx: RuleContext) -> pa.Table:
        if self.diagnosis_field not in ctx.batch.schema.names:
            return empty_violations()
        diagnosis = pc.cast(ctx.column(self.diagnosis_field), pa.string())
        has_hiv = pc.fill_null(pc.match_substring_regex(diagnosis, HIV_ICD10), False)
        hiv_rows = pa.array(np.flatnonzero(has_hiv.to_numpy(zero_copy_only=False)), pa.int64())
        findings = ctx.findings.filter(pc.is_in(ctx.findings["row"], value_set=hiv_rows))
        critical = TypeRule(regulation="HIPAA", severity="critical", rule=self.name, anonymizer="tokenize")
        return label_findings(findings, {id_type: critical for id_type in ctx.policy.types})
