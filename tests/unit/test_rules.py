import datetime
import inspect
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.columns import ColumnClass, ColumnRole
from compliance.policy import load_policy
from compliance.rules import (
    GdprRuleSet,
    HipaaRuleSet,
    LocationRuleSet,
    PciDssRuleSet,
    Rule,
    RuleEngine,
    detect_domain,
    empty_violations,
    parse_dates,
)
from compliance.rules.examples import HivDiagnosisRule
from compliance.vocabulary import VIOLATION_KEYS, Domain, IdType, Violation

DOMAINS = [d.value for d in Domain]
AS_OF = datetime.date(2025, 6, 30)
DOC = Path(__file__).resolve().parents[2] / "docs" / "custom-rules.md"


def ident(field, id_type):
    return ColumnClass(field, ColumnRole.IDENTIFIER, IdType(id_type))


def findings(*triples):
    rows, fields, types = zip(*triples, strict=True) if triples else ((), (), ())
    return pa.table(
        {
            "row": pa.array(rows, pa.int64()),
            "field": pa.array(fields, pa.string()),
            "type": pa.array(types, pa.string()),
        }
    )


def run(domain, batch, found, classes, **kwargs):
    kwargs.setdefault("as_of", AS_OF)
    return RuleEngine.for_domain(domain).evaluate(batch, found, classes, **kwargs).to_pylist()


CARD_BATCH = pa.record_batch(
    {
        "ssn": ["123-45-6789", "987-65-4321"],
        "card": ["4111111111111111", "5500005555555559"],
        "cvv": ["123", "456"],
    }
)
CARD_CLASSES = [ident("ssn", "SSN"), ident("card", "CREDIT_CARD"), ident("cvv", "CARD_CVV")]


@pytest.mark.parametrize(
    ("domain", "regulation", "rule"),
    [
        ("healthcare", "HIPAA", "hipaa.safe_harbor.ssn"),
        ("financial", "GDPR", "gdpr.personal_data.ssn"),
        ("location", "GDPR", "gdpr.personal_data.ssn"),
        ("mixed", "GDPR", "gdpr.personal_data.ssn"),
    ],
)
def test_ssn_mapping_per_domain(domain, regulation, rule):
    out = run(domain, CARD_BATCH, findings((1, "ssn", "SSN")), CARD_CLASSES)
    assert out == [
        {"row": 1, "field": "ssn", "type": "SSN", "regulation": regulation, "severity": "high", "rule": rule}
    ]


@pytest.mark.parametrize("domain", DOMAINS)
def test_cards_are_pci_and_cvv_is_critical_in_every_domain(domain):
    out = run(domain, CARD_BATCH, findings((0, "card", "CREDIT_CARD"), (0, "cvv", "CARD_CVV")), CARD_CLASSES)
    by_type = {v["type"]: v for v in out}
    assert by_type["CARD_CVV"]["severity"] == "critical"
    assert by_type["CARD_CVV"]["regulation"] == "PCI-DSS"
    assert by_type["CARD_CVV"]["rule"] == "pci.cvv_stored"
    assert by_type["CREDIT_CARD"]["rule"] == "pci.pan_in_clear"


def test_output_schema_order_and_row_offset():
    found = findings(
        (1, "ssn", "SSN"), (0, "cvv", "CARD_CVV"), (0, "card", "CREDIT_CARD"), (1, "card", "CREDIT_CARD")
    )
    table = RuleEngine.for_domain("financial").evaluate(
        CARD_BATCH, found, CARD_CLASSES, row_offset=1000, as_of=AS_OF
    )
    assert table.schema.names == list(VIOLATION_KEYS)
    assert table.schema.field("row").type == pa.int64()
    assert all(table.schema.field(k).type == pa.string() for k in VIOLATION_KEYS[1:])
    keys = [(v["row"], v["field"], v["type"]) for v in table.to_pylist()]
    assert keys == [
        (1000, "card", "CREDIT_CARD"),
        (1000, "cvv", "CARD_CVV"),
        (1001, "card", "CREDIT_CARD"),
        (1001, "ssn", "SSN"),
    ]


def test_no_findings_gives_an_empty_typed_table():
    table = RuleEngine.for_domain("healthcare").evaluate(CARD_BATCH, findings(), CARD_CLASSES, as_of=AS_OF)
    assert table.num_rows == 0
    assert table.schema == empty_violations().schema


def test_findings_with_dictionary_or_large_string_columns_are_accepted():
    found = pa.table(
        {
            "row": pa.array([0], pa.int32()),
            "field": pa.array(["ssn"], pa.large_string()),
            "type": pa.array(["SSN"]).dictionary_encode(),
        }
    )
    assert run("healthcare", CARD_BATCH, found, CARD_CLASSES)[0]["rule"] == "hipaa.safe_harbor.ssn"


def test_findings_with_a_type_outside_the_vocabulary_fail_loudly():
    with pytest.raises(ValueError, match="outside the vocabulary"):
        run("healthcare", CARD_BATCH, findings((0, "ssn", "PASSWORD")), CARD_CLASSES)


@pytest.mark.parametrize(
    ("domain", "rule_sets"),
    [
        ("healthcare", {HipaaRuleSet, PciDssRuleSet, GdprRuleSet}),
        ("financial", {PciDssRuleSet, GdprRuleSet}),
        ("location", {PciDssRuleSet, GdprRuleSet, LocationRuleSet}),
        ("mixed", {HipaaRuleSet, PciDssRuleSet, GdprRuleSet, LocationRuleSet}),
    ],
)
def test_rule_sets_per_domain_follow_the_policy(domain, rule_sets):
    engine = RuleEngine.for_domain(domain)
    assert engine.domain == domain
    assert {
        type(r)
        for r in engine.rules
        if type(r) in {HipaaRuleSet, PciDssRuleSet, GdprRuleSet, LocationRuleSet}
    } == rule_sets
    assert {r.name for r in engine.rules} >= {"gdpr.missing_consent", "gdpr.retention_exceeded"}


def test_for_domain_rejects_a_policy_of_another_domain():
    with pytest.raises(ValueError, match="not 'healthcare'"):
        RuleEngine.for_domain("healthcare", load_policy("financial"))


# --- collisions: one violation per (row, field, type) ------------------------------------------


class FixedRule(Rule):
    """Reports SSN at row 0 of column ssn with a given severity (as Violation objects)."""

    regulation = "GDPR"

    def __init__(self, name, severity):
        self.name = name
        self.severity = severity

    def evaluate(self, ctx):
        return [Violation(0, "ssn", "SSN", "GDPR", self.severity, self.name)]


@pytest.mark.parametrize(
    ("severity", "winner"),
    [("critical", "custom.escalate"), ("high", "hipaa.safe_harbor.ssn"), ("low", "hipaa.safe_harbor.ssn")],
)
def test_collision_keeps_higher_severity_then_rule_order(severity, winner):
    engine = RuleEngine.for_domain("healthcare")
    engine.add_rule(FixedRule("custom.escalate", severity))
    out = engine.evaluate(CARD_BATCH, findings((0, "ssn", "SSN")), CARD_CLASSES, as_of=AS_OF).to_pylist()
    assert len(out) == 1
    assert out[0]["rule"] == winner


def test_two_custom_rules_with_equal_severity_keep_the_first_added():
    engine = RuleEngine(load_policy("mixed"))
    engine.add_rule(FixedRule("first", "medium"))
    engine.add_rule(FixedRule("second", "medium"))
    engine.add_rule(FixedRule("third", "low"))
    out = engine.evaluate(CARD_BATCH, findings(), CARD_CLASSES, as_of=AS_OF).to_pylist()
    assert [v["rule"] for v in out] == ["first"]


class BadRule(Rule):
    name = "bad"
    regulation = "GDPR"

    def __init__(self, output):
        self.output = output

    def evaluate(self, ctx):
        return self.output


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([Violation(0, "ssn", "SSN", "GDPR", "severe", "bad")], "invalid severity"),
        ([Violation(0, "ssn", "PASSWORD", "GDPR", "low", "bad")], "invalid type"),
        ([Violation(0, "ssn", "SSN", "CCPA", "low", "bad")], "invalid regulation"),
        ([Violation(5, "ssn", "SSN", "GDPR", "low", "bad")], "rows outside the batch"),
        (pa.table({"row": [0], "field": ["ssn"]}), "without column"),
    ],
)
def test_invalid_rule_output_names_the_rule(output, message):
    engine = RuleEngine(load_policy("mixed"), [BadRule(output)])
    with pytest.raises(ValueError, match=rf"rule 'bad'.*{message}|{message}"):
        engine.evaluate(CARD_BATCH, findings(), CARD_CLASSES, as_of=AS_OF)


def test_add_rule_checks_its_argument():
    engine = RuleEngine.for_domain("mixed")
    with pytest.raises(TypeError):
        engine.add_rule(lambda ctx: [])  # type: ignore[arg-type]

    class Nameless(Rule):
        def evaluate(self, ctx):
            return []

    with pytest.raises(ValueError, match="non-empty `name`"):
        engine.add_rule(Nameless())
    before = len(engine.rules)
    engine.rules.append(Nameless())  # a copy: the engine's list is not touched
    assert len(engine.rules) == before


# --- GDPR consent ------------------------------------------------------------------------------

NEGATIVE = [
    None,
    "",
    "  ",
    "no",
    "No",
    "N",
    "FALSE",
    "false",
    "0",
    "denied",
    "Withdrawn",
    "REVOKED",
    "opt-out",
    "Opt_Out",
]
POSITIVE = ["yes", "Y", "true", "TRUE", "1", "granted", " Yes ", "opt-in"]


def consent_case(values):
    batch = pa.record_batch({"email": ["a@x.org"] * len(values), "consent": pa.array(values)})
    classes = [ident("email", "EMAIL"), ColumnClass("consent", ColumnRole.CONSENT)]
    found = findings(*((row, "email", "EMAIL") for row in range(len(values))))
    return batch, found, classes


@pytest.mark.parametrize("domain", DOMAINS)
def test_missing_consent_variants(domain):
    batch, found, classes = consent_case(NEGATIVE + POSITIVE)
    out = [v for v in run(domain, batch, found, classes) if v["type"] == "MISSING_CONSENT"]
    assert [v["row"] for v in out] == list(range(len(NEGATIVE)))
    assert {(v["field"], v["regulation"], v["severity"], v["rule"]) for v in out} == {
        ("consent", "GDPR", "high", "gdpr.missing_consent")
    }


@pytest.mark.parametrize(("values", "flagged"), [([True, False, None], [1, 2]), ([1, 0, 1], [1])])
def test_missing_consent_on_boolean_and_integer_columns(values, flagged):
    batch, found, classes = consent_case(values)
    out = run("mixed", batch, found, classes)
    assert [v["row"] for v in out if v["type"] == "MISSING_CONSENT"] == flagged


def test_missing_consent_needs_personal_data_in_the_row():
    batch, _, classes = consent_case(["no", "no", "yes"])
    out = run("financial", batch, findings((1, "email", "EMAIL"), (2, "email", "EMAIL")), classes)
    assert [(v["row"], v["type"]) for v in out] == [(1, "MISSING_CONSENT"), (1, "EMAIL"), (2, "EMAIL")]


def test_no_consent_column_means_no_missing_consent():
    batch, found, _ = consent_case(["no", None])
    out = run("financial", batch, found, [ident("email", "EMAIL")])
    assert all(v["type"] != "MISSING_CONSENT" for v in out)


# --- GDPR retention ----------------------------------------------------------------------------


def retention_case(values):
    batch = pa.record_batch({"id": list(range(len(values))), "created_at": values})
    return batch, findings(), [ColumnClass("created_at", ColumnRole.RECORD_DATE)]


@pytest.mark.parametrize("domain", DOMAINS)
def test_retention_boundaries(domain):
    cutoff = AS_OF - datetime.timedelta(days=load_policy(domain).retention_days)
    day = datetime.timedelta(days=1)
    values = [(cutoff - day).isoformat(), cutoff.isoformat(), (cutoff + day).isoformat(), AS_OF.isoformat()]
    out = run(domain, *retention_case(values))
    assert out == [
        {
            "row": 0,
            "field": "created_at",
            "type": "RETENTION_EXCEEDED",
            "regulation": "GDPR",
            "severity": "medium",
            "rule": "gdpr.retention_exceeded",
        }
    ]


def test_retention_reads_common_date_formats_and_skips_unparseable():
    values = [
        "2001-02-03T04:05:06Z",
        "2001-02-03 04:05:06+02:00",
        "02/03/2001",
        "03.02.2001",
        "3 Feb 2001",
        "Feb 3, 2001",
        "2001/02/03 10:00",
        "not a date",
        None,
        "2025-06-01",
        "2001-13-45",
    ]
    out = run("location", *retention_case(values))
    assert [v["row"] for v in out] == [0, 1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    "values",
    [
        pa.array([datetime.date(2001, 1, 1), datetime.date(2025, 1, 1), None], pa.date32()),
        pa.array(
            [datetime.datetime(2001, 1, 1, 12), datetime.datetime(2025, 1, 1), None], pa.timestamp("us")
        ),
        pa.array(
            [datetime.datetime(2001, 1, 1), datetime.datetime(2025, 1, 1), None], pa.timestamp("s", "UTC")
        ),
    ],
)
def test_retention_on_typed_date_columns(values):
    assert [v["row"] for v in run("location", *retention_case(values))] == [0]


def test_parse_dates_of_a_numeric_column_is_all_null():
    assert parse_dates(pa.array([20010101, 5])).null_count == 2


def test_retention_with_row_offset_and_default_as_of():
    batch, found, classes = retention_case(["1990-01-01", "2999-01-01"])
    out = RuleEngine.for_domain("mixed").evaluate(batch, found, classes, row_offset=7).to_pylist()
    assert [v["row"] for v in out] == [7]


# --- location precision ------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["location", "mixed"])
def test_location_flags_only_precise_positions(domain):
    batch = pa.record_batch(
        {
            "position": ["40.712776,-74.005974", "40.71,-74.01", "40.7,-74.0", "lat 40.713 lon -74.006"],
            "lat": pa.array([40.712776, 40.71, 40.7128, 41.0]),
        }
    )
    classes = [ident("position", "GPS_COORDINATES"), ident("lat", "GPS_COORDINATES")]
    found = findings(*((r, f, "GPS_COORDINATES") for r in range(4) for f in ("position", "lat")))
    out = run(domain, batch, found, classes)
    assert [(v["row"], v["field"]) for v in out] == [(0, "lat"), (0, "position"), (2, "lat"), (3, "position")]
    assert {v["rule"] for v in out} == {"location.precise_position"}


def test_healthcare_flags_every_position_under_hipaa():
    batch = pa.record_batch({"position": ["40.71,-74.01"]})
    out = run(
        "healthcare",
        batch,
        findings((0, "position", "GPS_COORDINATES")),
        [ident("position", "GPS_COORDINATES")],
    )
    assert [v["rule"] for v in out] == ["hipaa.safe_harbor.geolocation"]


# --- the documented custom rule ----------------------------------------------------------------


def test_custom_rule_example_escalates_rows_with_hiv_codes():
    batch = pa.record_batch(
        {
            "patient_name": ["Ann Lee", "Bo Chan", "Cy Diaz"],
            "mrn": ["MRN-1", "MRN-2", "MRN-3"],
            "diagnosis": ["B20 HIV disease", "J10.1 influenza", None],
        }
    )
    classes = [
        ident("patient_name", "PERSON_NAME"),
        ident("mrn", "MRN"),
        ColumnClass("diagnosis", ColumnRole.OTHER),
    ]
    found = findings(
        *((r, f, t) for r in range(3) for f, t in (("patient_name", "PERSON_NAME"), ("mrn", "MRN")))
    )
    engine = RuleEngine.for_domain("healthcare")
    engine.add_rule(HivDiagnosisRule())
    out = engine.evaluate(batch, found, classes, as_of=AS_OF).to_pylist()
    assert len(out) == 6
    escalated = [(v["row"], v["field"]) for v in out if v["rule"] == "hipaa.sensitive_condition.hiv"]
    assert escalated == [(0, "mrn"), (0, "patient_name")]
    assert {v["severity"] for v in out if v["row"] == 0} == {"critical"}
    assert {v["rule"] for v in out if v["row"] == 1} == {"hipaa.safe_harbor.mrn", "hipaa.safe_harbor.name"}


def test_custom_rule_example_without_diagnosis_column_reports_nothing():
    engine = RuleEngine(load_policy("healthcare"), [HivDiagnosisRule()])
    assert engine.evaluate(CARD_BATCH, findings((0, "ssn", "SSN")), CARD_CLASSES, as_of=AS_OF).num_rows == 0


def test_docs_show_the_tested_example():
    doc = DOC.read_text()
    source = Path(inspect.getfile(HivDiagnosisRule)).read_text()
    assert source[source.index("import numpy") :] in doc
    assert "engine.add_rule(HivDiagnosisRule())" in doc


# --- domain detection --------------------------------------------------------------------------


def other(*names):
    return [ColumnClass(n, ColumnRole.OTHER) for n in names]


@pytest.mark.parametrize(
    ("classes", "domain"),
    [
        (other("patient_id", "mrn", "diagnosis", "icd10_code", "age", "zip"), "healthcare"),
        (other("patientName", "DiagnosisCode", "admission_date", "device_id"), "healthcare"),
        (other("customer", "card_number", "cvv", "iban", "amount", "transaction_id"), "financial"),
        ([ident("pan", "CREDIT_CARD"), ident("x", "IBAN"), *other("name")], "financial"),
        (other("device_id", "lat", "lon", "ip_address", "timestamp"), "location"),
        ([ident("where", "GPS_COORDINATES"), *other("speed", "user")], "location"),
        (other("mrn", "diagnosis", "card_number", "amount", "latitude", "longitude"), "mixed"),
        (other("name", "email", "phone", "notes"), "mixed"),
        (other("mrn", "card_number"), "mixed"),
        ([], "mixed"),
    ],
)
def test_detect_domain(classes, domain):
    assert detect_domain(classes) == domain


def test_packed_sort_of_violations_equals_the_lexsort_fallback():
    """_best_per_key packs (row, field, type, severity, rule) ranks into one int64 when it fits and
    falls back to a five-key lexsort otherwise: both keep the same winners in the same order."""
    import numpy as np

    from compliance.rules.engine import _best_per_key

    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 300))
        rows = rng.integers(0, 40, n)
        ranks = [rng.integers(0, 3, n), rng.integers(0, 3, n), rng.integers(0, 4, n)]  # field, type, severity
        rule_index = rng.integers(0, 4, n)
        packed = _best_per_key(rows, *ranks, rule_index)
        # Rows near 2**60 overflow the packed key: same order, through the lexsort.
        fallback = _best_per_key(rows + (1 << 60), *ranks, rule_index)
        assert packed.tolist() == fallback.tolist()
        # The winners: one per key, highest severity, then first rule.
        order = sorted(
            range(n), key=lambda i: (rows[i], ranks[0][i], ranks[1][i], -ranks[2][i], rule_index[i], i)
        )
        winners, seen = [], set()
        for i in order:
            if (rows[i], ranks[0][i], ranks[1][i]) not in seen:
                seen.add((rows[i], ranks[0][i], ranks[1][i]))
                winners.append(i)
        assert packed.tolist() == winners


def test_distinct_rows_of_findings_equal_np_unique():
    import numpy as np

    from compliance.rules.gdpr_policy import _distinct_rows

    rng = np.random.default_rng(11)
    for _ in range(200):
        num_rows = int(rng.integers(1, 80))
        rows = rng.integers(-2, num_rows + 2, int(rng.integers(0, 150)))  # some outside the batch
        assert _distinct_rows(rows, num_rows).tolist() == np.unique(rows).tolist()
        inside = rows[(rows >= 0) & (rows < num_rows)]
        assert _distinct_rows(inside, num_rows).tolist() == np.unique(inside).tolist()


def test_built_in_rules_evaluate_to_strings_and_subclasses_may_override_evaluate():
    """Built-in rules work on integer codes inside the engine; their public evaluate() decodes to
    the same table label_findings builds, and a subclass overriding evaluate() is what runs."""
    from compliance.rules import RuleContext, label_findings

    policy = load_policy("financial")
    found = findings((0, "card", "CREDIT_CARD"), (1, "cvv", "CARD_CVV"), (1, "ssn", "SSN"))
    ctx = RuleContext(CARD_BATCH, found, CARD_CLASSES, policy, "financial", AS_OF)
    labels = {t: label for t, label in policy.types.items() if label.regulation == "PCI-DSS"}
    expected = label_findings(found, {t: labels[t] for t in ("CREDIT_CARD", "CARD_CVV") if t in labels})
    assert PciDssRuleSet().evaluate(ctx).equals(expected)

    class QuietPci(PciDssRuleSet):
        def evaluate(self, ctx):
            return empty_violations()

    assert RuleEngine(policy, [PciDssRuleSet()]).evaluate(CARD_BATCH, found, CARD_CLASSES).num_rows == 2
    assert RuleEngine(policy, [QuietPci()]).evaluate(CARD_BATCH, found, CARD_CLASSES).num_rows == 0


def _dates_read_whole(values: pa.Array) -> pa.Array:
    """parse_dates' rule applied to every text as it is (no per-distinct date part): the reference."""
    from compliance.rules.gdpr_policy import _ISO_DATE, _TIME_PART, DATE_FORMATS

    def strptime(text, fmt):
        return pc.cast(pc.strptime(text, format=fmt, unit="s", error_is_null=True), pa.date32())

    text = pc.utf8_trim_whitespace(values)
    iso = pc.if_else(pc.match_substring_regex(text, _ISO_DATE), pc.utf8_slice_codeunits(text, 0, 10), None)
    date_part = pc.replace_substring_regex(text, _TIME_PART, "")
    return pc.coalesce(strptime(iso, "%Y-%m-%d"), *(strptime(date_part, fmt) for fmt in DATE_FORMATS))


_DATE_PIECES = ["2023-01-02", "01/02/2023", "2 Jan 2023", "Jan 02, 2023", "02.01.2023", "2023-13-40", "x"]
_TIME_PIECES = ["", "T10:30", " 10:30", "  9:05:01", " T10:30", "\t23:59 pm", "T1:2", " 10:30\nnext"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(["", " ", "\t"]), st.sampled_from(_DATE_PIECES), st.sampled_from(_TIME_PIECES)
            ).map("".join),
        ),
        max_size=30,
    )
)
def test_parse_dates_reads_each_text_as_a_whole_text_would_be_read(texts):
    # A timestamp column is mostly distinct; its dates are read once per distinct date part.
    values = pa.array(texts * 3, pa.string())
    assert parse_dates(values).equals(_dates_read_whole(values))
