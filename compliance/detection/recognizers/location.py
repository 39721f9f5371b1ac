"""Where a person lives: street address, ZIP or postcode (the GPS position: gps.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    containing,
    matches,
    native_check,
    starting_with,
    to_mask,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.address_forms import (
    ENGLISH_TOWN,
    NOT_A_TOWN,
    POSTCODE_ANCHORED,
    REGION_POSTCODE,
    UNIT_BEFORE_NUMBER,
    US_STATES,
)
from compliance.detection.recognizers.address_scripts import (
    SCRIPT_ADDRESS_PATTERNS,
    native_address_header,
    script_addresses,
    thai_addresses,
)
from compliance.detection.recognizers.base import (
    DIGITS,
    HL7_PID_HINT,
    Recognizer,
    TextPattern,
    context_group,
    has_digit,
    has_space,
    hl7_pid_field,
    hl7_token_free,
)
from compliance.detection.recognizers.segments import (
    RECORD_STREET,
    RECORD_ZIP,
    VCARD_STREET,
    VCARD_ZIP,
    X12_STREET,
    X12_ZIP,
)
from compliance.vocabulary import IdType

# USPS Publication 28, appendix C1: each street suffix's primary name, its plural and its common
# abbreviations, but for those that are common words or units in notes ("is", "pt", "ml", "dr"
# stays: "Dr" is as often a street), and British forms ("Close", "Parade", "Wynd", "Quay").
_USPS_SUFFIXES = (
    "alley", "allee", "aly", "anex", "annex", "anx", "arcade", "arc", "avenue", "av", "ave", "aven", "avn",
    "bayou", "byu", "beach", "bch", "bend", "bnd", "bluff", "blf", "bluffs", "blfs", "bottom", "btm",
    "boulevard", "blvd", "boul", "branch", "brnch", "bridge", "brdge", "brg", "brook", "brk", "brooks",
    "brks", "burg", "burgs", "bypass", "byp", "camp", "cmp", "canyon", "cyn", "cape", "cpe", "causeway",
    "cswy", "center", "centre", "cntr", "ctr", "centers", "ctrs", "circle", "cir", "circ", "crcl",
    "circles", "cirs", "cliff", "clf", "cliffs", "clfs", "club", "clb", "common", "cmn", "commons",
    "cmns", "corner", "corners", "cors", "course", "crse", "court", "ct", "courts", "cts", "cove", "cv",
    "coves", "creek", "crk", "crescent", "cres", "crest", "crst", "crossing", "xing", "crossroad",
    "crossroads", "xrd", "xrds", "curve", "curv", "dale", "divide", "drive", "dr", "drv", "drives",
    "estate", "estates", "ests", "expressway", "expy", "expwy", "extension", "extensions", "falls",
    "fls", "ferry", "frry", "field", "fld", "fields", "flds", "flats", "flts", "ford", "frd", "fords",
    "forest", "frst", "forge", "frg", "forges", "fork", "frk", "forks", "frks", "fort", "frt", "ft",
    "freeway", "fwy", "frwy", "garden", "gdn", "gardens", "gdns", "gateway", "gtwy", "glen", "gln",
    "glens", "green", "grn", "greens", "grove", "grv", "groves", "harbor", "harbour", "hbr", "harbors",
    "haven", "hvn", "heights", "hts", "highway", "hwy", "hill", "hills", "hollow", "holw", "inlet",
    "island", "islnd", "islands", "isle", "junction", "jct", "junctions", "key", "keys", "knoll", "knl",
    "knolls", "lake", "lk", "lakes", "lks", "land", "landing", "lndg", "lane", "ln", "light", "lgt", "lights",
    "loaf", "lock", "locks", "lodge", "ldg", "loop", "mall", "manor", "mnr", "manors", "meadow", "mdw",
    "meadows", "mdws", "mews", "mill", "mills", "mission", "msn", "motorway", "mtwy", "mount", "mountain",
    "mtn", "mountains", "mtns", "neck", "orchard", "orch", "oval", "overpass", "park", "parks", "parkway",
    "pkwy", "parkways", "pass", "passage", "path", "pike", "pine", "pines", "place", "pl", "plain",
    "plains", "plaza", "plz", "point", "points", "port", "ports", "prairie", "radial", "ramp", "ranch",
    "rapid", "rapids", "rest", "ridge", "rdg", "ridges", "river", "rvr", "road", "rd", "roads", "rds",
    "route", "rte", "row", "rue", "run", "shoal", "shoals", "shore", "shr", "shores", "skyway", "spring",
    "spg", "springs", "spur", "spurs", "square", "sq", "squares", "station", "sta", "stravenue", "stream",
    "street", "st", "streets", "summit", "smt", "terrace", "ter", "throughway", "trace", "trce", "track",
    "trafficway", "trail", "trl", "trailer", "tunnel", "turnpike", "tpke", "underpass", "union", "unions",
    "valley", "vly", "valleys", "viaduct", "view", "vw", "views", "village", "vlg", "villages",
    "ville", "vista", "walk", "walks", "wall", "way", "ways", "well", "wells",
    # British and Commonwealth forms; older entries of this list.
    "close", "parade", "wynd", "quay", "wharf", "embankment", "broadway", "esplanade", "promenade",
    "croft", "drove", "garth", "vale", "dene", "brae", "strand", "circus", "row", "hwy", "gardens",
    "lane", "trl", "xing", "cswy", "tpke", "fwy", "expy", "byp", "cres", "mnr", "lndg", "jct", "vly",
)  # fmt: skip
_STREET_SUFFIXES = tuple(dict.fromkeys(_USPS_SUFFIXES))
_STREET_SUFFIX = "(?i:" + "|".join(sorted(_STREET_SUFFIXES, key=len, reverse=True)) + ")"
# The street's words hold no full stop, but for an initial or a saint ("N.", "St."), so a match
# cannot run over a sentence's end ("500 mg BID. Pt ...").
STREET_ADDRESS = (
    rf"\d{{1,6}}[A-Za-z]?(?:\s+[NSEW]\.?)?(?:\s+(?:[A-Za-z][A-Za-z0-9'-]*|\d+(?:st|nd|rd|th)|[A-Z]\.|St\.|Mt\.|Ft\.)){{1,4}}?"
    rf"\s+{_STREET_SUFFIX}\.?\b"
)
# Words that end a clause, not a street's name: a match holding one is a sentence ("follow up in 3
# weeks with Dr Smith", "take 2 tablets at night").
_NOT_STREET_WORDS = (
    "with", "in", "at", "to", "for", "from", "into", "via", "on", "by", "of", "and", "or", "then", "than", "after", "before",
    "every", "per", "mg", "ml", "mcg", "units", "tablets", "tabs", "pills", "doses", "times", "x",
    "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "minutes",
    "visits", "patient", "pt", "was", "is", "are", "has", "had", "no", "not", "cc", "puffs", "drops",
    "caps", "capsules", "sprays", "iu", "g", "mmol", "degree", "degrees",
)  # fmt: skip
_NOT_STREET_CLAUSE = r"\s(?:" + "|".join(_NOT_STREET_WORDS) + r")\s"


# European street addresses in text. German and Dutch glue the street type to the name ("ring" is
# left out: "Offering 3"); French, Spanish, Italian and Portuguese write it first, as a word.
_GLUED_STREET = (
    r"(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee|straat|laan|plein|gracht|kade|"
    r"singel|dijk|steeg)"
)
_TYPE_FIRST_WORDS = (
    "rue", "avenue", "av.", "boulevard", "bd", "allee", "chemin", "impasse", "quai", "place",
    "route", "cours", "square", "passage",
)  # fmt: skip
# "allée" and "travesía" need no keyword: the C pass keeps every type a candidate for non-ASCII text.
_TYPE_FIRST = "|".join(word.replace(".", r"\.") for word in _TYPE_FIRST_WORDS) + "|allée"
_TYPE_BEFORE_WORDS = (
    "calle", "avenida", "avda", "plaza", "paseo", "camino", "carrer", "pasaje", "ronda",
    "viale", "piazza", "corso", "vicolo", "largo", "rua", "travessa",
)  # fmt: skip
_TYPE_BEFORE = "|".join(_TYPE_BEFORE_WORDS) + r"|avda\.|travesía"
# The street's name: capitalised words, a particle between them ("de la", "del", "di", "d'").
_EU_STREET_NAME = (
    r"(?:(?i:de la|de l['’]|del|de|du|des|d['’]|della|dei|di|da|do|dos)\s?)?[A-ZÀ-Ý][A-Za-zÀ-ÖØ-öø-ÿ\d'’-]*"
    r"(?:\s(?:(?i:de la|del|de|du|des|della|di|da)\s)?[A-ZÀ-Ý][A-Za-zÀ-ÖØ-öø-ÿ\d'’-]*){0,3}"
)
# A postcode and a town after the street ("…, 32218 Wolfenbüttel", "…, 75008 Paris"): part of the address.
_EU_TOWN = r"(?:,?\s\d{4,5}\s[A-ZÀ-Ý][A-Za-zÀ-ÖØ-öø-ÿ\d'’-]*(?:[ -][A-ZÀ-Ý][A-Za-zÀ-ÖØ-öø-ÿ\d'’-]*)?)?"


# German streets named with a preposition or an adjective first ("Am Mühlenteich 12", "An der
# Kirche 3", "Alte Gasse 4"); the word after it is no time, room or platform ("Am Montag 12 Uhr").
_DE_STREET_LEAD = (
    "Am", "An der", "An den", "An dem", "Auf der", "Auf dem", "Auf den", "Im", "In der", "In den", "Zum",
    "Zur", "Unter den", "Hinter der", "Hinter dem", "Vor dem", "Alte", "Alter", "Altes", "Neue", "Neuer",
    "Neues", "Lange", "Hohe", "Obere", "Untere",
)  # fmt: skip
_DE_NOT_STREET = (
    "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Wochenende|Morgen|Abend|Mittag|Nachmittag|"
    "Vormittag|Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|Anfang|"
    "Ende|Jahr|Tag|Monat|Punkt|Kapitel|Seite|Absatz|Artikel|Paragraph|Zimmer|Raum|Bett|Saal|Bereich|Gebäude|"
    "Haus|Stock|Gleis|Schalter|Beispiel|Termin|Alter"
)
# "-ring" streets: hyphenated and capitalised ("Theodor-Heuss-Ring 7"), or glued with a postcode
# and town after them ("Bismarckring 14, 65183 Wiesbaden"; "Offering 3" alone stays).
_RING_STREET = (
    r"(?:[A-ZÄÖÜ][a-zäöüß]+-)+Ring\s?\d{1,3}(?:\s?[a-zA-Z])?\b"
    + _EU_TOWN
    + r"|[A-ZÄÖÜ][a-zäöüß]+ring\s?\d{1,3}(?:\s?[a-zA-Z])?,?\s\d{5}\s[A-ZÄÖÜ][A-Za-zÄÖÜäöüß'’-]*"
)
# A flat or house number, then the parts of an address line by commas, as Indian and British
# addresses run ("Flat 4, MG Road, Bengaluru 560001", "H.No. 5-2/1, Ramnagar, Hyderabad 500020").
_UNIT_WORD = r"(?i:flat|studio|house|h\.?\s?no|plot|door|apt|apartment|shop)"
_LINE_ADDRESS = (
    rf"{_UNIT_WORD}\.?\s*(?i:no\.?\s*)?#?\s*[A-Za-z]?\d{{1,5}}[A-Za-z]?(?:[/-]\d{{1,5}}[A-Za-z]?)*"
    r"(?:,\s*[A-Z0-9][\w'’-]*(?: [A-Za-z0-9][\w'’-]*){0,3}){1,4}"
)
# What makes such a line an address: a street or locality word, or a PIN or postcode at its end.
_LINE_STREET = (
    r"(?i)\b(?:road|rd|street|st|marg|nagar|lane|colony|sector|layout|cross|main|avenue|chowk|gali|block|"
    r"society|apartments?|towers?|residency|enclave|vihar|puram|bagh|ganj|close|court|gardens|house)\b|"
    r"\b[1-9]\d{2}\s?\d{3}$|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$"
)


# A character of an announced address's clause: not its end (";", a line break, a full stop before a
# word or another full stop); a full stop before a number or a unit goes on ("Apt. 044", "St. 5").
_CLAUSE_CHARACTER = (
    r"[^.;\n]|\.(?:[^\s.]|\s+(?:[^A-Za-z\s.]|(?i:apt|unit|suite|ste|flat|floor|fl|room|rm)\b))"
)


class StreetAddressRecognizer(Recognizer):
    id_type = IdType.STREET_ADDRESS
    # Not "mac_address", "ip_address", "email_address": those belong to later recognizers.
    header = (
        r"(?!(?:[a-z0-9]+_)*(?:mac|ip|ipv4|ipv6|email|e_mail|mail|web|url|wallet)_addr)"
        + ANY_PREFIX
        + (
            r"(?:address|addr|street|street_address|street_addr|street_name|address_line_?\d?|addr_line_?\d?|"
            r"address_\d|full_address|residence|residential_address|mailing_address|home_address|"
            # An address's lines under its use ("shipping": {"line1": ...}); "order_line_1" is no address.
            r"(?:shipping|billing|mailing|delivery|postal|home|ship_to|bill_to|shipto|billto)_line_?\d|"
            # Other languages (accents folded): "Dirección", "Domicilio", "Adresse", "Straße", "Anschrift",
            # "Indirizzo", "Straat", "Endereço".
            r"direccion|direccion_postal|domicilio|calle|adresse|adresse_postale|rue|anschrift|wohnanschrift|"
            r"wohnadresse|strasse|strasse_und_hausnummer|strasse_hausnummer|indirizzo|indirizzo_di_residenza|"
            r"residenza|adres|woonadres|straat|straatnaam|endereco|morada)"
        )
    )
    by_values = True
    # The unit after the street ("Apt 4B", "Suite 656", "#12") belongs to the address: scrubbed with it.
    # So do a town and a UK postcode or Indian PIN after it ("12 Kings Road, Leeds LS6 2AB"): the
    # postcode is part of the address, as a labeller marks it.
    text_pattern = (
        # A flat or studio before the number ("Studio 85\nNigel Inlet") belongs to it too.
        # So does an Australian unit or level before it ("Unit 86 84 Newton Rest"; "5/12 Smith St").
        rf"\b(?P<v>(?:(?i:studio|flat)\s+|{UNIT_BEFORE_NUMBER})?(?:\d{{1,5}}/)?{STREET_ADDRESS}"
        r"(?:,?\s+(?:(?i:apt|apartment|suite|ste|unit|room|rm|floor|fl)\.?\s*#?|#)\s*[A-Za-z]?\d[A-Za-z0-9-]{0,5}\b)?"
        # The town and the postcode after it, with its state or province ("..., Mccoyside, NU S1M 8A9").
        rf"(?:,\s*{ENGLISH_TOWN},?\s+(?:[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}|[1-9]\d{{2}}\s?\d{{3}}|{REGION_POSTCODE})\b)?)"
    )
    text_hint = TextHint(whole_words=_STREET_SUFFIXES, requires=("digit",))
    # A post office box in text ("Mailed to PO Box 368, ..."): the keyword is the evidence.
    context_patterns = (
        *X12_STREET,
        *VCARD_STREET,
        *RECORD_STREET,
        TextPattern(
            r"\b(?P<v>(?i:p\.? ?o\.? ?box|post office box)\s*#?\s*\d{1,6})\b",
            TextHint(keywords=("po", "p.o", "p o", "p. o", "post office")),
            "validate_by_context",
        ),
        # European forms, with the postcode and town after them when present:
        # the street type glued to its name, the number after ("Hauptstraße 5", "Eberthallee 94a",
        # "Gaby-Heinrich-Allee 15, 32218 Wolfenbüttel", "Kerkstraat 12");
        TextPattern(
            rf"\b(?P<v>(?:(?:[A-ZÄÖÜ][a-zäöüßé]+-)+(?i:{_GLUED_STREET})|(?:[A-ZÄÖÜ][a-zäöüßé]+-)*[A-ZÄÖÜ][a-zäöüßé]*"
            rf"{_GLUED_STREET})\s?\d{{1,3}}(?:\s?[a-zA-Z])?\b{_EU_TOWN})",
            TextHint(shapes=("digit",)),
            "validate_by_context",
        ),
        TextPattern(rf"\b(?P<v>{_RING_STREET})", TextHint(shapes=("digit",)), "validate_by_context"),
        TextPattern(
            r"\b(?P<v>(?P<lead>" + "|".join(w.replace(" ", r"\s") for w in _DE_STREET_LEAD) + r")\s"
            rf"(?P<name>[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*)\s\d{{1,3}}[a-z]?\b{_EU_TOWN})",
            TextHint(exact=tuple(w.split()[0] for w in _DE_STREET_LEAD), requires=("digit",)),
            "validate_lead_street",
        ),
        TextPattern(
            rf"\b(?P<v>{_LINE_ADDRESS})",
            TextHint(
                keywords=(
                    "flat",
                    "studio",
                    "house",
                    "h.no",
                    "h no",
                    "hno",
                    "h. no",
                    "plot",
                    "door",
                    "apt",
                    "apartment",
                    "shop",
                ),
                requires=("digit",),
            ),
            "validate_line",
        ),
        # the number first, then the street type and its name ("168, rue de Olivier", "12 bis avenue Foch");
        TextPattern(
            rf"\b(?P<v>\d{{1,4}}(?:\s?(?:bis|ter))?,?\s(?i:{_TYPE_FIRST})\s{_EU_STREET_NAME}{_EU_TOWN})",
            TextHint(keywords=_TYPE_FIRST_WORDS, requires=("digit",)),
            "validate_by_context",
        ),
        # the street type and its name, then the number ("Calle Mayor, 12", "Via Roma 12", "Rua Augusta 5").
        TextPattern(
            rf"(?P<v>(?:\b(?i:{_TYPE_BEFORE})|\bVia|\bC/)\s?{_EU_STREET_NAME},?\s(?:(?i:n[ºo°.]?)\s?)?"
            rf"\d{{1,4}}(?:\s?[a-zA-Z])?\b{_EU_TOWN})",
            TextHint(keywords=_TYPE_BEFORE_WORDS, exact=("Via", "C/"), requires=("digit",)),
            "validate_by_context",
        ),
        # Whatever follows words that announce an address, up to the end of the clause: "address
        # change to Flat 9, Davies Parkways, M4 2NN", "moved to H.No. 51, Nazareth Road", "new
        # address: 95/835, Bhatia Zila, 304432" (forms of any country, with their postcode).
        TextPattern(
            r"(?i:\b(?:new|home|shipping|billing|mailing|postal|delivery|residential|forwarding|current)\s+address|"
            r"\baddress\s+(?:change\s+)?(?:to|is|now)|\bmoved\s+to|\brelocated\s+to|\blives\s+at|\bresides\s+at|"
            r"\bresiding\s+at)\s*[:-]?\s*(?P<v>"
            # A house number alone on its line, the street on the next ("moved to 31/97\nPandey, Sagar
            # 219547"): the line break is inside the address.
            rf"(?:(?i:h\.?\s?no)\.?\s*)?\d[\d/-]*[A-Za-z]?\n[A-Z](?:{_CLAUSE_CHARACTER})+|"
            r"(?:\d|(?i:flat|apt|apartment|unit|suite|studio|level|floor|house|door|plot)\b|(?i:h\.?\s?no)\.?)"
            # The clause ends at a full stop before a word ("Apt. 044, V2G1C7. Thanks", "ND 32279.. my wife
            # ... on 9/17/2024"), not at "Apt. 044" or "St.Louis"; the match ends with the value, so its
            # spans are found without Python.
            rf"(?:{_CLAUSE_CHARACTER})+)",
            TextHint(
                keywords=("address", "moved", "relocated", "lives", "resides", "residing"),
                requires=("digit",),
            ),
            "validate_announced",
        ),
        *POSTCODE_ANCHORED,
        # HL7 PID-11: the patient's address (street^other^city^state^zip^country), by its position.
        TextPattern(hl7_pid_field(11, r"[^|^\n]*\d[^|\n]*"), HL7_PID_HINT, "validate_hl7_address"),
        # Addresses in Cyrillic, Greek, Hebrew, Arabic, CJK, Hangul, Thai and Devanagari script.
        *SCRIPT_ADDRESS_PATTERNS,
    )

    def names(self, normalized_header: str) -> bool:
        return super().names(normalized_header) or native_address_header(normalized_header)

    def validate(self, values: pa.Array) -> np.ndarray:
        # In an address column also accept non-US forms: "10 Downing Street", "Hauptstraße 5", "PO Box 12",
        # "22/02, Mitra Chowk", and a street type first without a number ("rue de la Paix").
        us_style = self.evidence(values)
        other = (
            r"^\d{1,6}(?:/\d{1,6})?[A-Za-z]?[ ,]+\pL[\pL'’.-]+|^\pL[\pL\pM .'-]*\pL\.?,?\s+\d{1,5}[A-Za-z]?\b|"
            r"(?i)^p\.?\s*o\.?\s*box\s+\d+"
        )
        street_first = (
            r"(?i)^(?:rue|avenue|av\.?|boulevard|bd|chemin|place|all[ée]e|impasse|route|quai|cours|via|viale|"
            r"piazza|corso|calle|avenida|plaza|paseo|carrer|camino|rua|travessa)\s+\pL"
        )
        # Each form holds a digit and starts with one or has a space: others (tokens, "N/A") skip the regex.
        maybe = ~us_style & containing(values, DIGITS) & (starting_with(values, DIGITS) | has_space(values))
        named_first = ~us_style & ~maybe & has_space(values)
        return (
            us_style
            | validate_where(values, maybe, lambda rest: matches(rest, other))
            | validate_where(values, named_first, lambda rest: matches(rest, street_first))
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        words = pc.utf8_lower(found.field("v"))
        return self.validate(found.field("v")) & ~matches(words, _NOT_STREET_CLAUSE)

    def validate_by_context(self, found: pa.StructArray) -> np.ndarray:
        return np.ones(len(found), dtype=bool)

    def validate_lead_street(self, found: pa.StructArray) -> np.ndarray:
        return ~matches(found.field("name"), rf"^(?:{_DE_NOT_STREET})$")

    def validate_indian_line(self, found: pa.StructArray) -> np.ndarray:
        return ~matches(found.field("town"), NOT_A_TOWN)

    def validate_line(self, found: pa.StructArray) -> np.ndarray:
        return matches(found.field("v"), _LINE_STREET)

    def validate_announced(self, found: pa.StructArray) -> np.ndarray:
        # A house number and a street or place word; not an IP, version or amount after "address".
        value = found.field("v")
        return matches(value, r"\d") & matches(value, r"[A-Za-zÀ-ÿ]{3,}") & ~matches(value, r"^[\d.:/]+$")

    def validate_hl7_address(self, found: pa.StructArray) -> np.ndarray:
        return hl7_token_free(found.field("v"))

    def validate_thai_address(self, found: pa.StructArray) -> np.ndarray:
        # A number and a postcode around Thai words: a road, sub-district or district word among them.
        return thai_addresses(found.field("v").to_pylist())

    def validate_announced_script(self, found: pa.StructArray) -> np.ndarray:
        # After the word "address" in another script: a number in the clause, not an e-mail or URL.
        value = found.field("v")
        return matches(value, r"\d") & ~matches(value, r"@|://|^[\d.:/ -]+$")

    def evidence(self, values: pa.Array) -> np.ndarray:
        found = matches(values, rf"^{STREET_ADDRESS}")
        # ... or an address in another script (address_scripts.py), anywhere in the value.
        other = ~found & ~to_mask(pc.string_is_ascii(values)) & containing(values, DIGITS)
        if other.any():
            found[other] = script_addresses(values.filter(pa.array(other)))
        return found

    def evidence_ceiling(self, values: pa.Array) -> float:
        # A house number first, a space before the street suffix; or another script and a digit.
        shaped = starting_with(values, DIGITS, min_bytes=4) & has_space(values)
        shaped |= ~to_mask(pc.string_is_ascii(values)) & containing(values, DIGITS)
        return float(np.mean(shaped)) if len(values) else 1.0


_STATE_VALUES = pa.array(sorted(US_STATES))


class ZipCodeRecognizer(Recognizer):
    id_type = IdType.ZIP_CODE
    header = (
        ANY_PREFIX
        + (
            r"(?:zip|zipcode|zip_code|zip5|zip4|zip_plus_4|zip_plus4|postal_code|postalcode|postcode|post_code|"
            r"postal|plz|"
            # Other languages: "Código postal", "C.P.", "Code postal", "Postleitzahl", "CAP", "CEP".
            r"codigo_postal|cod_postal|cp|c_p|code_postal|postleitzahl|cap|c_a_p|codice_postale|cep)"
        )
        + ID_SUFFIX
    )
    # After a keyword, a state ("Boston, MA 02118"), or a lower-case state after a comma ("east
    # tiffany, id 83520" in a note written in lower case).
    text_pattern = (
        r"(?:(?i:\bzip(?:\s*code)?|\bpostal\s*code)\s*[:#]?\s*|\b(?P<st>[A-Z]{2})\s+|,\s*(?P<lst>[a-z]{2})\s+)"
        r"(?P<v>\d{5}(?:-\d{4})?)\b"
    )
    text_hint = TextHint(shapes=("caps_zip",), keywords=("zip", "postal"))
    # Any country's postcode after a keyword: "postal code EH8W 7PH", "postcode 264220".
    context_patterns = (
        *X12_ZIP,
        *VCARD_ZIP,
        *RECORD_ZIP,
        TextPattern(
            r"(?i:\bzip(?:\s*code)?|\bpostal\s*code|\bpost\s*code|\bpostcode)\s*[:#]?\s*"
            r"(?P<v>[A-Za-z0-9]{2,6}(?:[ -][A-Za-z0-9]{3,4})?)\b",
            TextHint(keywords=("zip", "postal", "postcode", "post")),
            "validate_postcode_text",
        ),
        # A UK postcode after the town that ends an address line ("..., London G13 8ND"): the full
        # outward and inward code, in capitals, after a comma and a capitalised town.
        TextPattern(
            r",\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}\s+(?P<v>[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})\b",
            TextHint(shapes=("digit",)),
            "validate_postcode_text",
        ),
    )
    integer_width = 5

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("zip", values)  # 1 when one of the US, Canadian or UK shapes below matches
        if found is not None:
            valid = found == 1
            return valid | validate_where(values, ~valid, self._other_countries)
        us = matches(values, r"^\d{5}(?:-?\d{4})?$") & ~matches(values, r"^00000")
        canada = matches(values, r"^[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]\d[A-Za-z] ?\d[A-Za-z]\d$")
        uk = matches(values, r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$")
        return us | canada | uk | self._other_countries(values)

    @staticmethod
    def _other_countries(values: pa.Array) -> np.ndarray:
        """Postcodes of other countries, where a header says postcode: 4 digits (AU, AT, BE, CH, DK, NL,
        NO...; Australia's Northern Territory and ACT start with 0: 0800, 0200), 6 (IN, CN, RU, SG), NL 1234 AB, PL 12-345, PT 1234-567, BR 12345-678, JP 123-4567."""
        return validate_where(
            values,
            containing(values, DIGITS),
            lambda some: matches(
                some,
                r"^(?:[1-9]\d{3}|0[289]\d{2}|\d{6}|[1-9]\d{3} ?[A-Za-z]{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3}|\d{3}-\d{4})$",
            ),
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A US ZIP code after a keyword or a real state abbreviation.
        state_ok = to_mask(pc.is_in(found.field("st"), value_set=_STATE_VALUES))
        lower_ok = to_mask(pc.is_in(pc.utf8_upper(found.field("lst")), value_set=_STATE_VALUES))
        keyword = ~context_group(found, "st") & ~context_group(found, "lst")
        return self.validate(found.field("v")) & (state_ok | lower_ok | keyword)

    def validate_postcode_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        return self.validate(value) & has_digit(value)
