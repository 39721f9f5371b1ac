"""Round 12 (English-language exports: CRM tickets, EHR notes, telecom diagnostics, web logs, and
Faker's phone numbers of 34 locales in notes): phones written with an extension, in NANP notation
with an unassigned area code, with "+" and a country code, after a keyword that also precedes other
words ("reach me on", "callback requested at"), with the keyword after the number, and in a URL
query percent-encoded. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    # An extension is no digit of the number: 15 digits at most is counted without it.
    ("Tel. 001-919-858-4525x29557", "Tel. <PHONE>"),
    ("pt mobile: +90(171)259-4153x9373", "pt mobile: <PHONE>"),
    # "+" and a country code: a phone even where the plan has not assigned the area code yet.
    ("reach me on +1 (922) 792-3028 or email", "reach me on <PHONE> or email"),
    ("'+90(986)619-1011x9592", "'<PHONE>"),
    # NANP's notations with a possible area code, valid or not, with or without a separator.
    ("left a message at (675)375-6588 yesterday", "left a message at <PHONE> yesterday"),
    ("(612)2908965 is the best number to reach me.", "<PHONE> is the best number to reach me."),
    ("escalated by 258.497.9384", "escalated by <PHONE>"),
    (
        "subscriber complaint from (702)9864471 about dropped calls",
        "subscriber complaint from <PHONE> about dropped calls",
    ),
    # After a keyword that also precedes other words, 8+ digits written as a phone is one.
    ("contact number 1 (580) 162-4846 (home)", "contact number <PHONE> (home)"),
    ("Please call 005 9766465 after 5pm", "Please call <PHONE> after 5pm"),
    ("reach me on 0080985349 or email", "reach me on <PHONE> or email"),
    ("callback requested at 00 0201 6813, ask for billing", "callback requested at <PHONE>, ask for billing"),
    ("Home health: nurse RN, pager 512-789-4892.", "Home health: nurse RN, pager <PHONE>."),
    # The keyword after the number.
    ("8194941080 is the best number to reach me.", "<PHONE> is the best number to reach me."),
    (
        "placed the order on 2024-09-05 8194941080 is the best number",
        "placed the order on 2024-09-05 <PHONE> is the best number",
    ),
    ("+44 20 7946 0958 is my mobile", "<PHONE> is my mobile"),
    # A phone parameter of a URL, percent-encoded with brackets and spaces: its name says phone.
    (
        "GET /users/lookup?phone=%2B44%20%280%2920%207261%205583&src=web",
        "GET /users/lookup?phone=<PHONE>&src=web",
    ),
    ("/users/lookup?phone=%2803%29%203626%206898&src=web", "/users/lookup?phone=<PHONE>&src=web"),
]

STAYS = [
    "order 024-5910016-2247381 shipped",  # an order number's groups, not a trunk-0 phone
    "NDC 00534-3865-74 dispensed",  # a drug code that would dial as +53
    "4155550123 is the order number",
    "call center costs 12.500.000",
    "mon numero de secu 1 61 07 33 081 595 45",  # a social security number, not "my number"
    "case 123-926-7027 reopened",  # area code 1xx: no NANP number
    "?page=2&phone_verified=1",
    "work 2019-2023 at the plant",
]

test_phones_found = scrub_found_test(FOUND)
test_decoys_stay = scrub_stays_test(STAYS)


def test_a_number_alone_in_a_note_is_a_phone_but_not_in_a_reference_column() -> None:
    """A notes cell holding only a number that reads as a phone is one (fail closed); a column
    that is not free text keeps such values."""
    import pyarrow as pa

    from compliance.detection import Detector

    notes = ["0257884836", "020 7946 0958", "(+358) 756799502", "19832825596", "(675)375-6588"]
    # ...but not a reference, a date, a build, an ISBN, a quantity or a UPC alone in a cell.
    notes += ["2024", "INV 12345678", "20250718", "4500057359", "10.0.22621", "978-4-5008-9364-5"]
    notes += ["16 432 974", "008211920704", "12345678"]
    batch = pa.RecordBatch.from_pydict({"note": notes, "invoice_no": ["4500012345"] * len(notes)})
    detector = Detector()
    found = detector.detect(batch, detector.classify(batch)).to_pylist()
    assert sorted((f["row"], f["field"], f["type"]) for f in found) == [
        (row, "note", "PHONE") for row in range(5)
    ]
