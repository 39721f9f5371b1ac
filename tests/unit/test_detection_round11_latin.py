"""Round 11 (addresses of more Latin-script countries): a Turkish street with its door number
("İnönü Cad. No:222 D:3"), Polish "ul." streets and "00-001" postcodes, Portuguese "R." streets
and "3305-518" postcodes. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    ("adres İnönü Cad. No:222 D:3, 16110 Nilüfer/Bursa. ok", "adres <STREET_ADDRESS>. ok"),
    ("Yeni adres: Atatürk Cad. No:94 D:21", "Yeni adres: <STREET_ADDRESS>"),
    ("Fevzi Çakmak Cad. No:76 D:10, 06690 Çankaya/Ankara", "<STREET_ADDRESS>"),
    ("adres Bağdat Cd. No:12, Kadıköy/İstanbul", "adres <STREET_ADDRESS>"),
    (
        "Gazi Mustafa Kemal Blv. No:63 D:7|0532",
        "<STREET_ADDRESS>|0532",
    ),
    ("mieszka: ul. Nowy Świat 12/4, 00-001 Warszawa", "mieszka: <STREET_ADDRESS>"),
    ('{"line1": "Cumhuriyet Cad. No:63 D:21, 16110 Nilüfer/Bursa"}', '{"line1": "<STREET_ADDRESS>"}'),
    ("residente na R. das Flores, 6, 3305-518 Ovar", "residente na <STREET_ADDRESS>"),
]
STAYS = [
    "No: 12 items shipped",
    "Cad 12 pages",
    "The meeting, 12-345 units",
    "et al., 12, 00-001 Warszawa",
]


test_an_address_of_these_countries_is_found = scrub_found_test(FOUND)


test_look_alikes_stay = scrub_stays_test(STAYS)
