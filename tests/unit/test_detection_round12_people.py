"""Round 12 (English exports of the US, UK, Canada, Australia and India): people named after a
caller's, agent's or manager's word, a greeting or before a clinician's credential; address lines
no keyword announces, led by their number or flat and anchored by a town and a postcode of their
country; the town and postcode after a street found alone; an announced address bounded at its
sentence's end. And what must stay. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

NAMES = [
    ("Verified caller Jade Walker via last4 8019.", "Verified caller <PERSON_NAME> via last4 8019."),
    ("Agent Crystal Castro was very helpful.", "Agent <PERSON_NAME> was very helpful."),
    ("Customer service rep Robin Bell fixed it", "Customer service rep <PERSON_NAME> fixed it"),
    ("Reports to Brooke Long from 2024-10-01.", "Reports to <PERSON_NAME> from 2024-10-01."),
    ("Leave approved by Mark Hill on 3/2.", "Leave approved by <PERSON_NAME> on 3/2."),
    ("Happy birthday Mackenzie Woods!! - Dad", "Happy birthday <PERSON_NAME>!! - Dad"),
    ("Congrats Faith King. - Your sis", "Congrats <PERSON_NAME>. - Your sis"),
    ("Love you Dean Smith. Call me when it arrives", "Love you <PERSON_NAME>. Call me when it arrives"),
    ("Home health: Carol Hughes RN, pager on file", "Home health: <PERSON_NAME> RN, pager on file"),
    ("Sheila Rhodes, MD", "<PERSON_NAME>, MD"),
    ("PCP Cody Mccoy NP", "PCP <PERSON_NAME> NP"),
]
NAMES_STAY = [
    "Exposure to Agent Orange noted in service record.",
    "Agent Orange Exposure Registry exam",
    "Caller ID Blocked on the line",
    "Happy birthday to you",
    "Happy Birthday Banner Set, 3 pcs",
    "Reviewed by Quality Assurance",
    "Call from Sales Rep Team today",
    "Rx sent to Shoppers Drug Mart #0822, Rx #0567414-88, NDC 72057-8858-96.",
    "Rx #7379358-54 transferred from Brooks, Clark and Welch.",
    "Internal Medicine MD on call",
]

ADDRESSES = [
    # India: a house number, a street or locality, a town and its PIN, no keyword before it.
    (
        "Updated address 69/90, Venkatesh Circle, Burhanpur-382102 per pt.",
        "Updated address <STREET_ADDRESS> per pt.",
    ),
    ("ship to 31, Mittal, Ongole 236913 instead", "ship to <STREET_ADDRESS> instead"),
    ("ship to H.No. 15, Thakkar Circle, Korba 638650 instead", "ship to <STREET_ADDRESS> instead"),
    (
        "I live at 82/91, Bhatti, Kavali-739270 and the store is too far.",
        "I live at <STREET_ADDRESS> and the store is too far.",
    ),
    ("88/62, Chatterjee Marg, Vasai-Virar 994209", "<STREET_ADDRESS>"),
    ("address=910, Arora Road, Khora -280829", "address=<STREET_ADDRESS>"),
    # Australia: a unit or level before the number, any street word, a state and a 4-digit postcode.
    ("ship to Suite 291 06 Williams Round, New Curtis, NT, 8548 instead", "ship to <STREET_ADDRESS> instead"),
    ("ship to 89 Lisa Access, Thomasborough, NT, 2409 instead", "ship to <STREET_ADDRESS> instead"),
    ("ship to 912/8 Patricia Port, East Kevin, TAS, 2796 instead", "ship to <STREET_ADDRESS> instead"),
    ("0 Sanchez Gates, St. Anthonyside, WA, 2718", "<STREET_ADDRESS>"),
    ("Apt. 787 96 Brittany Piazza, Branchchester, VIC, 2934", "<STREET_ADDRESS>"),
    # The UK: a flat first, a town and a postcode.
    (
        "ship to Flat 03, Murray Passage, New Rebeccafurt, BD4A 3HX instead.",
        "ship to <STREET_ADDRESS> instead.",
    ),
    ("ship to Flat 9, Robert Squares, Glennbury, E8E 3SE instead", "ship to <STREET_ADDRESS> instead"),
    # Canada and the US: the town, the province or state and its code go with the street.
    ("ship to 5470 Miller Dale, Johnsonside, YT R6R 3S9 instead", "ship to <STREET_ADDRESS> instead"),
    ("ship to 320 Julie Ridge, East Dennisstad, NU P7S4X6 instead", "ship to <STREET_ADDRESS> instead"),
    ("ship to 41893 Jennifer Inlet #720, West Monique, PR 01590 now", "ship to <STREET_ADDRESS> now"),
    # US territories' codes (Palau, the Marshall Islands, Micronesia) end a line as states do.
    ("Deliver to 638 Eric Dam Apt 32, East James, PW 77838.", "Deliver to <STREET_ADDRESS>."),
    ("7 Emma Union, O'Sullivanhaven, G7U 1TR", "<STREET_ADDRESS>"),
    # An address line under its use, in any country's form.
    (
        '{"shipping": {"line1": "17/501 Badal Chowk", "city": "Satna"}}',
        '{"shipping": {"line1": "<STREET_ADDRESS>", "city": "Satna"}}',
    ),
    # An announced address ends with its sentence, even after two full stops.
    (
        "New address: 48922 Hall Union, Darrellville, QC G9R9S1.. invoice BILL-81682-B amount £1834.06 disputed",
        "New address: <STREET_ADDRESS>.. invoice BILL-81682-B amount £1834.06 disputed",
    ),
    (
        "New address: 12 Oak Lane Apt. 4, Springfield. my order 1ZK0J0PF7050665208 is late",
        "New address: <STREET_ADDRESS>. my order 1ZK0J0PF7050665208 is late",
    ),
]
ADDRESSES_STAY = [
    "Qty 3, Blue Widget, Order 123456",
    "Order 12, Item Blue, Ref 123456",
    "Ticket 4471, Priority High, Case 200311",
    "Rx #1434079-12, NDC 13441-4584-18.",
    "Unit 4 scored 12, Team Blue, Round 2",
    '{"order": {"line1": "2x Widget", "line_2": "3 Gadget"}}',
]

test_names_found = scrub_found_test(NAMES)
test_names_stay = scrub_stays_test(NAMES_STAY)
test_addresses_found = scrub_found_test(ADDRESSES)
test_addresses_stay = scrub_stays_test(ADDRESSES_STAY)
