"""Round 12 (web logs, clinical notes): identifiers in URL query strings and log key=value pairs
known by their key (recognizers/url_params.py), an Australian Medicare number after "Medicare" and
a secondary coverage's id after an insurance word in the same note (recognizers/plan_ids.py).
Values are made up here."""

from __future__ import annotations

import pyarrow as pa

from compliance.detection.recognizers.url_params import url_decoded
from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    # A device serial in capitals with one digit, after its keyword.
    ("serial number DMPRBREZ2UNU on the back", "serial number <DEVICE_ID> on the back"),
    # An address spelt out in capitals, its local part dotted.
    ("you can email me at perez.charlene69 AT SHAW DOT CA thanks", "you can email me at <EMAIL> thanks"),
    ("email ljohnson AT BIGPOND DOT COM pls", "email <EMAIL> pls"),
    # Query strings: each parameter's value, percent-encoded or "+" for a space.
    ("/search?name=Maren%20Olsvik&dob=1974-11-02", "/search?name=<PERSON_NAME>&dob=<DATE_OF_BIRTH>"),
    (
        "/users?firstName=Tobi+Adeyemi&lastName=O%27Hara&page=3",
        "/users?firstName=<PERSON_NAME>&lastName=<PERSON_NAME>&page=3",
    ),
    ("/patients?patient_name=Gwen%20Lasko", "/patients?patient_name=<PERSON_NAME>"),
    ("/lookup?birthdate=07%2F14%2F1961&src=web", "/lookup?birthdate=<DATE_OF_BIRTH>&src=web"),
    ("/verify?date_of_birth=19580203", "/verify?date_of_birth=<DATE_OF_BIRTH>"),
    (
        "/api/nearby?lat=41.882713&lng=-87.623177&q=pharmacy",
        "/api/nearby?lat=<GPS_COORDINATES>&lng=<GPS_COORDINATES>&q=pharmacy",
    ),
    ("/map?longitude=151.209295&zoom=12", "/map?longitude=<GPS_COORDINATES>&zoom=12"),
    ("/ship?address=17%20Quarry%20Lane%2C%20Dunmore&step=2", "/ship?address=<STREET_ADDRESS>&step=2"),
    # Log lines: the value runs to the next key or the end.
    (
        "profile update name=Odile Fenwick address=402 Larch Hollow, Pinecrest, OR 97301",
        "profile update name=<PERSON_NAME> address=<STREET_ADDRESS>",
    ),
    (
        "profile update name=Ravi Kulkarni address=H.No. 12, Sitaram Nagar, Nashik-422003",
        "profile update name=<PERSON_NAME> address=<STREET_ADDRESS>",
    ),
    ("signup dob=1990-06-30 plan=basic", "signup dob=<DATE_OF_BIRTH> plan=basic"),
    # Australian Medicare: 10 digits, the ninth the check of the first eight (weights 1,3,7,9,...).
    ("AU visitor, Medicare card 6235237995.", "AU visitor, Medicare card <HEALTH_PLAN_ID>."),
    (
        "AU visitor, Medicare card 3018 76867 8. Seen today.",
        "AU visitor, Medicare card <HEALTH_PLAN_ID>. Seen today.",
    ),
    # A ranked coverage's id after an insurance word earlier in the note.
    (
        "Medicare MBI on file; secondary 019A8539401. Allergies: PCN.",
        "Medicare MBI on file; secondary <HEALTH_PLAN_ID>. Allergies: PCN.",
    ),
    (
        "Coverage verified by phone. Secondary ins # W64988124 pending.",
        "Coverage verified by phone. Secondary ins # <HEALTH_PLAN_ID> pending.",
    ),
    (
        "BCBS primary W649881245, secondary XYZ908335268.",
        "BCBS primary <HEALTH_PLAN_ID>, secondary <HEALTH_PLAN_ID>.",
    ),
]

STAYS = [
    "serial number is on the back",
    "Look AT the DOT matrix",
    "look AT THE DOT COM bubble",
    "meet me AT NOON DOT COM",
    "/products?page=2&sort=name&order=asc",
    "/search?name=&page=1",
    "/search?name=null&dob=unknown",
    "/reports?sort_by=name&limit=50",
    "The lat=41.882713 reading was off by a block.",
    "The latitude was 41.882713 in the survey report.",
    "/map?lat=41.88&lng=-87.62",
    "/login?email_address=none&remote_addr=internal",
    "Please call AT&T DOT com support about the DOT matrix printer.",
    "Look AT the DOT matrix before you sign.",
    "Dx: secondary diagnosis I10, primary care follow-up in 2 weeks.",
    "Insurance verified. secondary diagnosis I10; primary Dx E11.9",
    "secondary 019A8539401 in the lab batch list",
    "Medicare card 6235237985 on file",
    "Medicare Part B premium 174.70 paid",
]


test_found = scrub_found_test(FOUND)


test_stays = scrub_stays_test(STAYS)


def test_values_are_read_decoded() -> None:
    assert url_decoded(pa.array(["Ana+Souza", "O%27Hara", "09%2F23%2F1980", None])).to_pylist() == [
        "Ana Souza",
        "O'Hara",
        "09/23/1980",
        None,
    ]
