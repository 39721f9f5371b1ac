"""XML held in a text cell: each leaf element's tag is read as a JSON key is, its parent the
qualifier, so its text is typed by what the tag names and fails closed when the tag names a
sensitive attribute the text does not prove (xml_members.py). Values are made up here."""

from __future__ import annotations

import pyarrow as pa

from compliance.detection import Detector
from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

CELLS = [
    (
        "<patient><mrn>48340678</mrn><name>後藤桃子</name><birthDate>1978-07-03</birthDate></patient>",
        "<patient><mrn><MRN></mrn><name><PERSON_NAME></name><birthDate><DATE_OF_BIRTH></birthDate></patient>",
    ),
    (  # ISO 20022: a party's name and address line in any script, its IBAN; the amount stays
        "<Dbtr><Nm>Σταύρος Βαχουθιανάκης</Nm><PstlAdr><AdrLine>Σηρικαρίου 49-34</AdrLine></PstlAdr></Dbtr>"
        '<Amt Ccy="EUR">100.00</Amt>',
        "<Dbtr><Nm><PERSON_NAME></Nm><PstlAdr><AdrLine><STREET_ADDRESS></AdrLine></PstlAdr></Dbtr>"
        '<Amt Ccy="EUR">100.00</Amt>',
    ),
    (  # namespaces, a declaration, a tag that names an SSN failing closed, free text still searched
        '<?xml version="1.0"?><p:person xmlns:p="urn:x"><p:ssn>52914776</p:ssn>'
        "<p:note>call 617-555-0199</p:note></p:person>",
        '<?xml version="1.0"?><p:person xmlns:p="urn:x"><p:ssn><UNRECOGNISED_SENSITIVE></p:ssn>'
        "<p:note>call <PHONE></p:note></p:person>",
    ),
]
STAYS = [
    "<order><id>A-1001</id><sku>SKU-55</sku><product><name>Laptop 15</name></product></order>",
    "plain text a < b and c > d </p>",
    "<visit><date>2024-03-01</date><code>J45.909</code></visit>",
]


test_leaves_are_typed_by_their_tags = scrub_found_test(CELLS)


test_tags_that_name_nothing_personal_leave_their_text = scrub_stays_test(STAYS)


def test_detection_reports_what_scrubbing_replaces(detector: Detector) -> None:
    batch = pa.record_batch({"payload": pa.array([CELLS[0][0], STAYS[0]])})
    found = detector.detect(batch).to_pylist()
    assert {(f["row"], f["type"]) for f in found} == {(0, "MRN"), (0, "PERSON_NAME"), (0, "DATE_OF_BIRTH")}
