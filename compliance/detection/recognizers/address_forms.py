"""Street addresses in text that a postcode of a known country format anchors (location.py's
recognizer uses them): a street word and a house number alone are often something else ("Offering
3"), but followed by a comma, a postcode and a town (or a town and a postcode) they are an address
line, in whatever order its country writes it. The whole line is the value: the postcode and town
belong to the address, as a labeller marks it."""

from __future__ import annotations

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern

US_STATES = frozenset(
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
        "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
        "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
        "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP",
    ]
)  # fmt: skip

# Latin Extended-A (Ā-ž) holds Polish, Czech, Turkish and Baltic letters ("Świat", "İnönü"), upper
# and lower case alternating: a capital there is taken loosely, the postcode being the evidence.
_LETTERS = "A-Za-zÀ-ÖØ-öø-ÿĀ-ž"
_CAP = "A-ZÀ-ÝĀ-ž"
# Street types glued to the name in German and Dutch ("Vigodreef", "Paffrathring", "Ortmannstr.").
# Broader than location.py's unanchored list ("ring", "hof", "pad", "park" are common word endings):
# here the postcode after the number is the evidence.
_GLUED_TYPES = (
    "straße", "strasse", "str", "weg", "allee", "platz", "gasse", "damm", "ufer", "chaussee", "ring",
    "steig", "stieg", "pfad", "markt", "graben", "wall", "berg", "straat", "laan", "plein", "gracht",
    "kade", "singel", "dijk", "steeg", "dreef", "hof", "baan", "pad", "park", "boulevard", "plantsoen",
    "erf", "wal", "veld", "haven", "hoven", "lei",
)  # fmt: skip
# Street types written first, as a word: French ones in any case ("j'habite au rue de Allard");
# the others (the Brazilian post's types of street, Spanish, Italian, Portuguese, Brazilian, and French words that are English ones too)
# capitalised only, so "sent via Email, 12345 Items" is no street.
_TYPES_FIRST_ANY_CASE = (
    "rue", "avenue", "av.", "boulevard", "bd", "chemin", "impasse", "quai", "allée", "allee", "voie",
    "sentier", "ul.", "ulica", "al.", "aleja", "os.", "osiedle",
)  # fmt: skip
_TYPES_FIRST_CAPITALISED = (
    "Place", "Route", "Cours", "Square", "Passage", "Calle", "Avenida", "Avda.", "Plaza", "Paseo",
    "Camino", "Carrer", "Pasaje", "Ronda", "Cañada", "Glorieta", "Rambla", "Callejón", "Carretera",
    "Travesía", "Urbanización", "Via", "Viale", "Piazza", "Piazzale", "Corso", "Vicolo", "Largo",
    "Strada", "Contrada", "Lungomare", "Borgo", "Rua", "Travessa", "Alameda", "Área", "Campo",
    "Chácara", "Colônia", "Condomínio", "Conjunto", "Distrito", "Esplanada", "Estação", "Estrada",
    "Fazenda", "Jardim", "Ladeira", "Lagoa", "Loteamento", "Morro", "Núcleo", "Parque", "Passarela",
    "Pátio", "Praça", "Praia", "Quadra", "Recanto", "Residencial", "Rodovia", "Setor", "Sítio",
    "Trecho", "Trevo", "Vale", "Vereda", "Viaduto", "Viela", "Vila", "Aeroporto", "Favela", "Feira",
    "Lago", "Acceso", "Cuesta", "Pasadizo", "Rotonda", "R.", "Av.", "Tv.", "Trav.", "Lgo.", "Pç.",
)  # fmt: skip
_PARTICLE = (
    r"(?:de la|de l['’]|del|de|du|des|d['’]|della|dei|di|da|das|do|dos|van|von|der|den|vom|zu|zum|zur)"
)
_WORD = rf"[{_CAP}][{_LETTERS}\d'’.-]*"
# A house number: "321", "81U", "45/33", "3-6", "12 bis".
_NUMBER = r"\d{1,5}(?:\s?[a-zA-Z])?(?:\s?[/-]\s?\d{1,5}[a-zA-Z]?)?"
# The glued street: up to three words before it, the first capitalised, the others capitalised
# or particles ("Erich-van der Dussen-Ring", "Dussen vangasse"; not "in der"), then the number. A literal space, not \s: no line break inside.
_GLUED_STREET = (
    rf"(?:{_WORD}[ ](?:(?:{_WORD}|(?i:{_PARTICLE}))[ ]){{0,2}})?[{_LETTERS}-]*"
    rf"(?i:{'|'.join(_GLUED_TYPES)})\.?[ ]?{_NUMBER}"
)
_NAME = rf"(?:(?i:{_PARTICLE})[ ]?){{0,2}}{_WORD}(?:[ ](?:(?i:{_PARTICLE})[ ]){{0,2}}{_WORD}){{0,3}}"
_ANY_CASE = "|".join(word.replace(".", r"\.") for word in _TYPES_FIRST_ANY_CASE)
_CAPITALISED = "|".join(word.replace(".", r"\.") for word in _TYPES_FIRST_CAPITALISED)
_TYPE_FIRST_STREET = (
    # No \b before a capitalised type: RE2's is ASCII, and "Área" starts with none.
    rf"(?:\b(?i:{_ANY_CASE})|{_CAPITALISED})[ ]{_NAME}"
    rf"(?:,?[ ](?:(?i:n[º°o.])[ ]?)?{_NUMBER})?"
)
# A town: capitalised words, lower-case words between them ("Ouderkerk aan den IJssel"), a Dutch
# article or ordinal first ("'t Zand", "2e Exloërmond").
_TOWN = rf"(?:(?:(?i:{_PARTICLE})|['’][st]|\d{{1,2}}e)[ ])?{_WORD}(?:[ ](?:[a-zà-ÿ]{{1,4}}[ ]){{0,2}}{_WORD}){{0,3}}"
# The postcodes of known formats: Dutch "5171 DC", five digits (DE, FR, ES, IT, TR), Brazilian
# "84721-131", Indian six digits, Portuguese "3305-518", Polish "00-001".
_POSTCODE = r"(?:[1-9]\d{3}[ ]?[A-Z]{2}|\d{5}(?:-?\d{3})?|[1-9]\d{5}|\d{4}-\d{3}|\d{2}-\d{3})\b"
_POSTCODE_TOWN = rf"(?:,[ ]?|[ ])(?:{_POSTCODE},?[ ]{_TOWN}|{_TOWN},?[ ]{_POSTCODE})"

# An English line led by the house number, with a UK postcode, a US state and ZIP, a Canadian
# province and postal code or an Australian state and postcode after its town ("852 Doherty Dam, East
# Harriet, CT9 7JR", "56328 Jennifer Flat Suite 895, New Crystalberg, GU 72051", "320 Julie Ridge, East
# Dennisstad, NU P7S4X6", "Unit 86 84 Newton Rest, Davidfort, NSW, 2338", "5/12 Smith St, St. Kilda,
# VIC 3182"): whatever the street's suffix, which the unanchored form needs.
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}"
_US_STATE_ZIP = rf"(?:{'|'.join(sorted(US_STATES))})[ ]\d{{5}}(?:-\d{{4}})?"
_CA_PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
_CA_PROVINCE_CODE = rf"(?:{'|'.join(_CA_PROVINCES)})[ ][A-Z]\d[A-Z][ ]?\d[A-Z]\d"
AU_STATES = ("NSW", "VIC", "QLD", "WA", "SA", "TAS", "NT", "ACT")
_AU_STATE_CODE = rf"(?:{'|'.join(AU_STATES)}),?[ ]\d{{4}}"
# What ends an address line after its town: a postcode with its state or province.
REGION_POSTCODE = rf"(?:{_UK_POSTCODE}|{_US_STATE_ZIP}|{_CA_PROVINCE_CODE}|{_AU_STATE_CODE})"
# A town after the street: "Lake Stuart", "St. Anthonyside", "Port Yvonnemouth".
ENGLISH_TOWN = r"(?:St\.?[ ])?[A-Z](?:['’][A-Z])?[a-z]+(?:[ -][A-Z][a-z]+){0,2}"
# A unit before the number, as Australian lines write it ("Unit 3 42 Smith Street", "Level 8 8 Dawn
# Approach", "Apt. 554 9 Jonathan Approach"), and a number with its unit ("5/12 Smith St").
UNIT_BEFORE_NUMBER = r"(?:(?:Unit|Level|Suite|Flat|Shop|Apt\.?)[ ]\d{1,4}[A-Za-z]?,?[ ])"
_NUMBER_LED_LINE = (
    rf"{UNIT_BEFORE_NUMBER}?(?:\d{{1,5}}[A-Za-z]?/)?\d{{1,6}}[A-Za-z]?[ ](?:[A-Z][A-Za-z'’-]*\.?[ ]){{1,3}}[A-Z][A-Za-z'’-]*"
    r"(?:,?[ ](?:(?:Apt\.?|Suite|Unit|Ste\.?|Flat)[ ]?#?|#)[A-Za-z]?\d{1,5}[A-Za-z]?)?"
    rf",[ ]{ENGLISH_TOWN},?[ ]{REGION_POSTCODE}"
)
# A British line led by its flat ("Flat 03, Murray Passage, New Rebeccafurt, BD4A 3HX", "Studio 58z,
# Amber Course, Port Mohamed, SO06 6TJ"): whatever the street's word, the town and postcode hold it.
_UNIT_LED_LINE = (
    r"(?:Flat|Studio|Unit|Apartment|Apt\.?|House|Maisonette)[ ]\d{1,4}[A-Za-z]?,[ ](?:[A-Z][a-z'’-]+[ ]){0,3}"
    rf"[A-Z][a-z'’-]+,[ ]{ENGLISH_TOWN},?[ ]{REGION_POSTCODE}"
)
# An Indian line: a house number (perhaps "H.No."), a street or locality, a town and the PIN after it
# ("69/90, Venkatesh Circle, Burhanpur-382102", "31, Mittal, Ongole 236913", "H.No. 70, Dyal,
# Gulbarga-332755"); the commas, the capitalised parts and the six digits after the town hold it.
_INDIAN_LINE = (
    r"(?:(?i:h\.?[ ]?no)\.?[ ]?|(?:Flat|House|Plot|Door|Shop)[ ](?:No\.?[ ])?)?\d{1,5}[A-Za-z]?(?:[/-]\d{1,5})?,[ ]"
    r"(?:[A-Z][a-z]+[ ]){0,2}[A-Z][a-z]+,[ ](?P<town>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3})(?:[ ]?-|[ ])\d{6}"
)
# ... but a list of a record's fields has that shape too ("Qty 3, Blue Widget, Order 123456"): the
# word before the six digits is no record's.
NOT_A_TOWN = (
    r"(?i)\b(?:order|ref|reference|case|ticket|invoice|inv|account|acct|claim|policy|id|no|number|code|item|"
    r"batch|lot|room|total|amount|qty|txn|transaction|tracking|serial|member|version|build|page|line|row|step|"
    r"part|sku|pin|otp|card|auth|approval|confirmation|booking|pnr|award|grant|docket|file)$"
)

# US military mail: a ship, or a unit or PSC box, then APO/FPO/DPO and a military "state".
_MILITARY = (
    r"(?:(?:USNS|USNV|USS|USCGC)[ ][A-Z][a-z]+|(?:PSC|Unit|CMR)[ ]\d{1,5},?[ ]Box[ ]\d{1,5}),?[ ]"
    r"(?:APO|FPO|DPO)[ ]A[AEP][ ]\d{5}"
)

# A Turkish address: a street of a known type, then "No:" and the door ("İnönü Cad. No:222 D:3"),
# then perhaps a postcode and "District/City". The "No:" after the street type is the evidence, so
# no postcode is needed. RE2's \b is ASCII, and "İnönü" starts with none: a separator leads instead.
_TR_WORD = rf"[{_CAP}\d][{_LETTERS}\d'’.-]*"
_TR_TOWN = rf"[{_CAP}][{_LETTERS}'’-]*"
_TR_STREET_TYPES = r"Caddesi|Cad|Cd|Sokağı|Sokak|Sok|Sk|Mahallesi|Mah|Bulvarı|Bulv|Blv|Bul|Meydanı|Yolu"
_TURKISH_LINE = (
    rf"(?:{_TR_WORD}[ ]){{1,4}}(?:{_TR_STREET_TYPES})\.?[ ]?No[:.]?[ ]?\d{{1,5}}[A-Za-z]?"
    r"(?:[ ]?(?:D|Daire|Kat)[:.]?[ ]?\d{1,4}){0,2}"
    rf"(?:,[ ]?(?:\d{{5}}[ ])?{_TR_TOWN}(?:[ ]?/[ ]?{_TR_TOWN})?)?"
)

POSTCODE_ANCHORED = (
    TextPattern(
        rf"(?P<v>(?:\b{_GLUED_STREET}|{_TYPE_FIRST_STREET}){_POSTCODE_TOWN}|\b{_NUMBER_LED_LINE}|\b{_UNIT_LED_LINE})\b",
        TextHint(shapes=("digit",)),
        "validate_by_context",
    ),
    TextPattern(rf"(?P<v>\b{_INDIAN_LINE})\b", TextHint(shapes=("digit",)), "validate_indian_line"),
    TextPattern(
        rf"(?:^|[\s,;:(|^~\"'])(?P<v>{_TURKISH_LINE})",
        TextHint(
            exact=("Cad", "Cd", "Sok", "Sk", "Mah", "Bul", "Blv", "Meydan", "Yolu"), requires=("digit",)
        ),
        "validate_by_context",
    ),
    TextPattern(
        rf"\b(?P<v>{_MILITARY})\b",
        TextHint(keywords=("apo", "fpo", "dpo"), requires=("digit",)),
        "validate_by_context",
    ),
)
