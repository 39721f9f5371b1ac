from pathlib import Path

import pytest
import yaml

from compliance.policy import ANONYMIZERS, POLICY_DIR, Policy, TypeRule, load_policy
from compliance.vocabulary import Domain, IdType, Regulation, Severity

DOMAINS = [d.value for d in Domain]


@pytest.mark.parametrize("domain", DOMAINS)
def test_packaged_policy_labels_every_type(domain):
    policy = load_policy(domain)
    assert isinstance(policy, Policy)
    assert policy.domain == domain
    assert policy.version >= 1
    assert set(policy.types) == {t.value for t in IdType}
    for label in policy.types.values():
        assert label.regulation in set(Regulation)
        assert label.severity in set(Severity)
        assert label.anonymizer in ANONYMIZERS
        assert label.rule


def test_packaged_policy_settings():
    retention = {d: load_policy(d).retention_days for d in DOMAINS}
    assert retention == {"healthcare": 2190, "financial": 1825, "location": 365, "mixed": 1095}
    healthcare = load_policy("healthcare")
    assert healthcare.k == 5
    assert healthcare.gps_precision == 3
    assert 0 < healthcare.max_suppression < 1
    assert "diagnosis" in healthcare.sensitive_attributes
    assert {"age", "zip", "gender"} <= set(healthcare.quasi_identifiers)


@pytest.mark.parametrize(
    ("domain", "id_type", "regulation", "rule"),
    [
        ("healthcare", "SSN", "HIPAA", "hipaa.safe_harbor.ssn"),
        ("healthcare", "MRN", "HIPAA", "hipaa.safe_harbor.mrn"),
        ("healthcare", "GPS_COORDINATES", "HIPAA", "hipaa.safe_harbor.geolocation"),
        ("healthcare", "CREDIT_CARD", "PCI-DSS", "pci.pan_in_clear"),
        ("healthcare", "IBAN", "GDPR", "gdpr.personal_data.iban"),
        ("financial", "CREDIT_CARD", "PCI-DSS", "pci.pan_in_clear"),
        ("financial", "IBAN", "GDPR", "gdpr.personal_data.iban"),
        ("financial", "BANK_ACCOUNT", "GDPR", "gdpr.personal_data.bank_account"),
        ("financial", "EMAIL", "GDPR", "gdpr.personal_data.email"),
        ("location", "GPS_COORDINATES", "LOCATION", "location.precise_position"),
        ("location", "DEVICE_ID", "LOCATION", "location.device_id"),
        ("location", "IP_ADDRESS", "LOCATION", "location.ip_address"),
        ("location", "PERSON_NAME", "GDPR", "gdpr.personal_data.person_name"),
        ("mixed", "CREDIT_CARD", "PCI-DSS", "pci.pan_in_clear"),
        ("mixed", "MRN", "HIPAA", "hipaa.safe_harbor.mrn"),
        ("mixed", "NPI", "HIPAA", "hipaa.safe_harbor.npi"),
        ("mixed", "HEALTH_PLAN_ID", "HIPAA", "hipaa.safe_harbor.health_plan_id"),
        ("mixed", "GPS_COORDINATES", "LOCATION", "location.precise_position"),
        ("mixed", "DEVICE_ID", "LOCATION", "location.device_id"),
        ("mixed", "IP_ADDRESS", "GDPR", "gdpr.personal_data.ip_address"),
        ("mixed", "SSN", "GDPR", "gdpr.personal_data.ssn"),
    ],
)
def test_regulation_mapping_per_domain(domain, id_type, regulation, rule):
    label = load_policy(domain).label_for(id_type)
    assert (label.regulation, label.rule) == (regulation, rule)


@pytest.mark.parametrize("domain", DOMAINS)
def test_cvv_is_pci_critical_and_policy_types_are_gdpr_everywhere(domain):
    policy = load_policy(domain)
    assert policy.label_for(IdType.CARD_CVV) == TypeRule("PCI-DSS", "critical", "pci.cvv_stored", "drop")
    assert policy.label_for(IdType.MISSING_CONSENT).rule == "gdpr.missing_consent"
    assert policy.label_for(IdType.RETENTION_EXCEEDED).rule == "gdpr.retention_exceeded"
    assert policy.label_for("MISSING_CONSENT").regulation == "GDPR"


def test_label_for_unknown_type_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"no rule for type 'PASSWORD'"):
        load_policy("financial").label_for("PASSWORD")


def test_unknown_domain():
    with pytest.raises(ValueError, match="unknown domain 'retail'"):
        load_policy("retail")


def _raw(domain: str = "healthcare") -> dict:
    return yaml.safe_load((POLICY_DIR / f"{domain}.yaml").read_text())


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_user_policy_file_overrides_packaged(tmp_path):
    raw = _raw()
    raw["retention_days"] = 30
    raw["version"] = 7
    raw["types"]["EMAIL"]["severity"] = "critical"
    policy = load_policy("healthcare", _write(tmp_path, raw))
    assert (policy.version, policy.retention_days) == (7, 30)
    assert policy.label_for("EMAIL").severity == "critical"
    assert load_policy("healthcare").label_for("EMAIL").severity == "medium"


def test_user_policy_for_another_domain_is_rejected(tmp_path):
    path = _write(tmp_path, _raw("financial"))
    with pytest.raises(ValueError, match=r"policy is for domain 'financial', not 'healthcare'"):
        load_policy("healthcare", path)


def _drop_top(key):
    def edit(raw):
        del raw[key]

    return edit


def _set_type(id_type, key, value):
    def edit(raw):
        raw["types"][id_type][key] = value

    return edit


def _drop_type_key(id_type, key):
    def edit(raw):
        del raw["types"][id_type][key]

    return edit


def _add_type(raw):
    raw["types"]["PASSWORD"] = dict(raw["types"]["SSN"])


def _drop_type(raw):
    del raw["types"]["VIN"]


def _set_top(key, value):
    def edit(raw):
        raw[key] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_drop_top("retention_days"), r"missing key\(s\) retention_days"),
        (_set_top("colour", "blue"), r"unknown key\(s\) colour"),
        (_add_type, r"key 'types': unknown type\(s\) PASSWORD"),
        (_drop_type, r"key 'types': no rule for type\(s\) VIN"),
        (_set_type("SSN", "severity", "severe"), r"key 'types.SSN.severity': 'severe' is not one of"),
        (_set_type("SSN", "regulation", "CCPA"), r"key 'types.SSN.regulation': 'CCPA'"),
        (_set_type("SSN", "anonymizer", "shred"), r"key 'types.SSN.anonymizer': 'shred'"),
        (_set_type("SSN", "rule", ""), r"key 'types.SSN.rule' must be a non-empty rule name"),
        (_drop_type_key("EMAIL", "rule"), r"key 'types.EMAIL': missing key\(s\) rule"),
        (
            _set_type("CARD_CVV", "severity", "high"),
            r"key 'types.CARD_CVV' must be regulation PCI-DSS, severity critical",
        ),
        (_set_top("k", "five"), r"key 'k' must be an integer >= 1"),
        (_set_top("version", True), r"key 'version' must be an integer >= 1"),
        (_set_top("max_suppression", 1.5), r"key 'max_suppression' must be a number between 0 and 1"),
        (
            _set_top("quasi_identifiers", "age"),
            r"key 'quasi_identifiers' must be a list of non-empty strings",
        ),
        (_set_top("domain", "retail"), r"key 'domain': 'retail' is not one of"),
        (_set_top("types", ["SSN"]), r"key 'types' must map each type"),
    ],
)
def test_invalid_policy_names_file_and_key(tmp_path, edit, message):
    raw = _raw()
    edit(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(ValueError, match=message) as error:
        load_policy("healthcare", path)
    assert str(path) in str(error.value)


def test_l_is_optional(tmp_path):
    raw = _raw()
    del raw["l"]
    assert load_policy("healthcare", _write(tmp_path, raw)).l is None


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read policy file"):
        load_policy("healthcare", tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("types: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_policy("healthcare", bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(ValueError, match="must be a mapping of keys"):
        load_policy("healthcare", scalar)


def test_policy_is_immutable():
    policy = load_policy("mixed")
    with pytest.raises(TypeError):
        policy.types["SSN"] = TypeRule("GDPR", "low", "x", "keep")  # type: ignore[index]
    with pytest.raises(AttributeError):
        policy.k = 2  # type: ignore[misc]
