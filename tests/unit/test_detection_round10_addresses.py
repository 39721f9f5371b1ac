"""Street addresses the round-10 red team found raw in free text (e-mail signature blocks, advisor
notes, support chats): a street and house number anchored by a postcode of a known country format
and a town, in either order; a UK or US line led by its number; US military mail; a house number
alone on its line after "moved to". Their decoys stay."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

_ADDRESS = "<STREET_ADDRESS>"


FOUND = [
    # Dutch: a glued street type, the number, a postcode "1234 AB" and the town, in either order.
    (
        "Groet,\nLizzy\nVigodreef 321, 5171 DC, Maasdijk\n\n-----Original",
        f"Groet,\nLizzy\n{_ADDRESS}\n\n-----Original",
    ),
    ("Elizedreef 0, 8336TM, Eexterzandvoort", _ADDRESS),
    ("Mereldreef 56, 5550 HK, 't Waar", _ADDRESS),
    ("Moved to Hannapad 0, Heukelum 3897 TQ over the summer.", f"Moved to {_ADDRESS} over the summer."),
    ("Moved to Kaiboulevard 07, Ouderkerk aan den IJssel 2699ID now.", f"Moved to {_ADDRESS} now."),
    # German: "-ring" and "str." with a postcode, 4-digit and ranged numbers, town before postcode.
    ("Moved to Paffrathring 8, 65183 Wiesbaden.", f"Moved to {_ADDRESS}."),
    ("Neureutherring 45/33, 11019 Bad Freienwalde", _ADDRESS),
    ("Ortmannstr. 5806, 51384 Bad Doberan", _ADDRESS),
    ("Moved to Siglinde-Jessel-Weg 6385, Karlsruhe 45654 in May.", f"Moved to {_ADDRESS} in May."),
    ("Ich wohne jetzt in der Drubstraße 6204, 41120 Brandenburg", f"Ich wohne jetzt in der {_ADDRESS}"),
    ("Erich-van der Dussen-Ring 3148, 82015 Rottweil", _ADDRESS),
    # French, Spanish, Brazilian: the street type first, with or without a number.
    ("j'habite au rue de Allard, 51167 Sainte Adèle", f"j'habite au {_ADDRESS}"),
    ("Moved to boulevard Thomas, Jean 97666 over the summer.", f"Moved to {_ADDRESS} over the summer."),
    ("vivo en Cañada de Victoria Quintanilla 80, 46370 Ourense", f"vivo en {_ADDRESS}"),
    ("Moved to Núcleo de da Cruz, 600, Câmara 85917-643 today.", f"Moved to {_ADDRESS} today."),
    ("Moved to Área de Aparecida, Brito 46780868 today.", f"Moved to {_ADDRESS} today."),
    # UK: a studio line, or a line led by its number whatever the street's suffix.
    ("Studio 81U, Patricia Centers, North Brandonfort, IG4N 7QU", _ADDRESS),
    ("852 Doherty Dam, East Harriet, CT9 7JR", _ADDRESS),
    # US: a state and ZIP after the town; military mail.
    ("56328 Jennifer Flat Suite 895, New Crystalberg, GU 72051", _ADDRESS),
    ("Unit 2579 Box 8148, DPO AE 57540", _ADDRESS),
    ("PSC 2579, Box 5553, APO AA 05086", _ADDRESS),
    ("USNS Wall, FPO AP 85977", _ADDRESS),
    # Indian: the house number alone on its line after "moved to".
    ("Moved to 31/97\nPandey, Sagar 219547 over the summer.", f"Moved to {_ADDRESS}."),
    ("Moved to H.No. 16\nBabu, Salem 473969 over the summer.", f"Moved to {_ADDRESS}."),
]
test_postcode_anchored_addresses_are_scrubbed_whole = scrub_found_test(FOUND)


STAYS = [
    "Room 12, 10115 Berlin",
    "Version 3.2, build 12345 Release",
    "Invoice 2023, 40000 Units shipped",
    "Sent via Email, 12345 Items",
    "Offering 3 tickets on 12 March 2024",
    "Part 12345 Model X",
    "SKU Weg 12, 2024 Catalogue",
    "Release 4.2.1, 20240 Build",
    "Meeting on 12 March 2024, Conference Room B",
    "Order 5, 10 Items, Total 20",
]
test_decoys_near_postcode_shapes_stay = scrub_stays_test(STAYS)
