"""How a person is reached: e-mail address, phone number, URL."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    lengths,
    matches,
    share_containing,
    share_starting_with,
    to_mask,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import (
    Recognizer,
    TextPattern,
    context_group,
)
from compliance.detection.recognizers.segments import PNR_EMAIL
from compliance.vocabulary import IdType


def url_decoded(values: pa.Array) -> pa.Array:
    """The characters a URL encodes in an e-mail address or a phone number, decoded."""
    for code, char in (
        ("%40", "@"),
        ("%2B", "+"),
        ("%2b", "+"),
        ("%20", " "),
        ("%2D", "-"),
        ("%2E", "."),
        ("%28", "("),
        ("%29", ")"),
    ):
        values = pc.replace_substring(values, code, char)
    return values


# The top-level domains an address spelt out in words may end in, and mail providers' hosts.
_MAIL_TLDS = "com|net|org|edu|gov|mil|info|biz|io|co|us|uk|ca|au|de|fr|nl|es|it|in|ie|be|ch|at|nz"
_MAIL_HOSTS = (
    "gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|aol|icloud|me|mac|proton|protonmail|gmx|"
    "mail|web|zoho|yandex|comcast|verizon|att|sbcglobal|shaw|rogers|sympatico|telus|bigpond|optusnet|"
    "btinternet|sky|virginmedia|rediffmail"
)


class EmailRecognizer(Recognizer):
    id_type = IdType.EMAIL
    header = ANY_PREFIX + r"(?:e_?mail|mail|email_address|e_mail_address|email_addr|mail_address)" + ID_SUFFIX
    by_values = True
    _LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    _ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
    ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
    text_pattern = r"(?P<v>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63})\b"
    text_hint = TextHint(shapes=("at",))
    # Addresses typed to dodge scrapers in chats and notes: "jane.doe(at)gmail.com", "jane [at] gmail
    # [dot] com", "jane.doe at gmail dot com" (spelled out, the domain must end in a common TLD).
    context_patterns = (
        *PNR_EMAIL,
        # URL-encoded in a path or query without a scheme ("/reset?email=jane_doe%40example.com&..."):
        # "@" written "%40" (a "+" may stay or be "%2B").
        TextPattern(
            r"(?P<v>\b[A-Za-z0-9._%+-]+%40[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63})\b",
            TextHint(keywords=("40",)),
            "validate_url_encoded",
        ),
        TextPattern(
            r"(?P<v>\b[A-Za-z0-9._%+-]+\s?(?:\(at\)|\[at\]|\{at\}|<at>)\s?"
            r"[A-Za-z0-9-]+(?:(?:\.|\s?(?:\(dot\)|\[dot\]|\{dot\})\s?)[A-Za-z0-9-]+)*"
            r"(?:\.|\s?(?:\(dot\)|\[dot\]|\{dot\})\s?)[A-Za-z]{2,24})\b",
            TextHint(shapes=("at",), whole_words=("at",)),
            "validate_obfuscated",
        ),
        TextPattern(
            r"(?P<v>\b[A-Za-z0-9_%+-]+(?: dot [A-Za-z0-9_%+-]+)* (?i:at) [A-Za-z0-9-]+(?: dot [A-Za-z0-9-]+)*"
            r" dot (?i:com|net|org|edu|gov|mil|info|biz|io|co|us|uk|ca|au|de|fr|nl|es|it|in|ie|be|ch|at))\b",
            TextHint(shapes=("at",), whole_words=("dot",)),
            "validate_obfuscated",
        ),
        # The same in capitals, the local part dotted: "perez.charlene69 AT SHAW DOT CA". Prose in
        # capitals reads so too ("look AT THE DOT COM bubble"), so the local part must look like a
        # mailbox's (a digit, "." or "_") or the host be a mail provider's.
        TextPattern(
            r"(?P<v>\b[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)* (?i:at) [A-Za-z0-9-]+(?: (?i:dot) [A-Za-z0-9-]+)*"
            rf" (?i:dot) (?i:{_MAIL_TLDS}))\b",
            TextHint(shapes=("at",), whole_words=("dot",)),
            "validate_spelt_in_capitals",
        ),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, rf"^{self.ADDRESS}$") & (lengths(values) <= 254)

    def validate_obfuscated(self, found: pa.StructArray) -> np.ndarray:
        # Spelt back to an address, it must be one.
        value = pc.replace_substring_regex(
            found.field("v"), r"\s?(?:[(\[{<](?i:at)[)\]}>]| (?i:at) )\s?", "@"
        )
        value = pc.replace_substring_regex(value, r"\s?(?:[(\[{](?i:dot)[)\]}]| (?i:dot) )\s?", ".")
        return self.validate(value)

    def validate_spelt_in_capitals(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        mailbox = matches(value, r"^\S*[\d._]\S* ") | matches(value, rf"(?i) at (?:{_MAIL_HOSTS}) ")
        return self.validate_obfuscated(found) & mailbox

    def validate_url_encoded(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(url_decoded(found.field("v")))

    def validate_pnr_email(self, found: pa.StructArray) -> np.ndarray:
        # A PNR writes "@" as "//" (its free text has no "@").
        return self.validate(pc.replace_substring(found.field("v"), "//", "@", max_replacements=1))

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_containing(values, b"@")


# Payment links of the apps that give each user a page of their own.
_PAYMENT_LINK = r"cash\.app|cash\.me|paypal\.me|venmo\.com(?:/u)?|revolut\.me|monzo\.me"
_PAYMENT_LINK_WORDS = ("cash", "paypal", "venmo", "revolut", "monzo")
# Apps whose users are paid by an @handle or a $cashtag.
_PAYMENT_APP = r"venmo|cash\s?app|cashapp|paypal|revolut|zelle|monzo"
_PAYMENT_APP_WORDS = ("venmo", "cash", "paypal", "revolut", "zelle", "monzo")
# UPI handles (the part after "@") of the apps and banks NPCI lists as UPI providers.
_UPI_HANDLES = pa.array(
    [
        "ybl", "ibl", "axl", "okhdfcbank", "okicici", "oksbi", "okaxis", "paytm", "ptyes", "ptaxis",
        "pthdfc", "ptsbi", "apl", "yapl", "rapl", "upi", "axisbank", "icici", "sbi", "hdfcbank",
        "kotak", "pnb", "barodampay", "ikwik", "freecharge", "jupiteraxis", "fbl", "waicici",
        "waaxis", "wahdfcbank", "wasbi", "airtel", "jio", "idfcbank", "idfcfirst", "aubank",
        "indus", "yesbank", "yesbankltd", "dbs", "hsbc", "sc", "citi", "citigold", "federal",
        "kbl", "uco", "unionbank", "cnrb", "boi", "mahb", "abfspay", "okbizaxis", "slice",
        "timecosmos", "axisb", "icicipay", "hdfcbankjd", "pingpay", "superyes", "naviaxis",
    ]
)  # fmt: skip


class UrlRecognizer(Recognizer):
    id_type = IdType.URL
    header = (
        ANY_PREFIX
        + (
            r"(?:url|uri|website|web_site|homepage|home_page|link|web_address|web_page|webpage|"
            r"profile_url|profile_link|social_media|linkedin|facebook|twitter)"
        )
        + ID_SUFFIX
    )
    by_values = True
    # `ns`: an XML namespace ("xmlns="http://www.w3.org/1999/xhtml"") or a FHIR coding or identifier
    # system ("system": "http://loinc.org") names a vocabulary, not a person's page.
    text_pattern = (
        r"(?P<ns>\bxmlns(?::[\w.-]+)?\s*=\s*[\"']?|\"system\"\s*:\s*\")?"
        r"(?P<v>\b(?i:(?:https?|ftp)://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]])"
    )
    text_hint = TextHint(keywords=("http", "ftp", "www."))
    # A payment handle reaches one person as a profile link does: a payment link ("cash.app/$JaneDoe",
    # "paypal.me/janedoe"), an @handle or $cashtag next to its app's name ("venmo @jane-doe-12",
    # "$JaneDoe on Cash App"), a UPI id ("janedoe@okhdfcbank", "9876543210@ybl").
    context_patterns = (
        TextPattern(
            rf"(?P<v>\b(?i:{_PAYMENT_LINK})/\$?[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])",
            TextHint(keywords=_PAYMENT_LINK_WORDS),
            "validate_handle",
        ),
        TextPattern(
            rf"(?i:\b(?:{_PAYMENT_APP})\b)[^\n@$.;]{{0,20}}(?P<v>[@$][A-Za-z][A-Za-z0-9_-]{{1,30}})",
            TextHint(keywords=_PAYMENT_APP_WORDS),
            "validate_handle",
        ),
        TextPattern(
            rf"(?:^|[\s(:,])(?P<v>[@$][A-Za-z][A-Za-z0-9_-]{{1,30}})[^\n@$.;]{{0,15}}(?i:\b(?:{_PAYMENT_APP})\b)",
            TextHint(keywords=_PAYMENT_APP_WORDS),
            "validate_handle",
        ),
        TextPattern(
            r"(?P<c>(?i:\b(?:upi|vpa|gpay|google\s+pay|phonepe|paytm|bhim)\b)[^\n@]{0,25})?"
            # Not an e-mail address: no domain's dot after the handle.
            r"\b(?P<v>[A-Za-z0-9][A-Za-z0-9._-]{1,60}@[A-Za-z]{2,20})(?:$|[^\w.@-]|\.(?:\s|$))",
            TextHint(shapes=("at",)),
            "validate_upi",
        ),
    )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v")) & ~context_group(found, "ns")

    def validate_handle(self, found: pa.StructArray) -> np.ndarray:
        # The pattern holds the handle's shape and its app's word; a currency code written as a
        # cashtag ("PayPal $USD 20.00") names nobody.
        return ~matches(found.field("v"), r"^\$[A-Z]{3}$")

    def validate_upi(self, found: pa.StructArray) -> np.ndarray:
        # A UPI id ends with its app's or bank's handle: one NPCI lists, or any after a UPI word
        # ("UPI jane@okbank").
        handle = pc.replace_substring_regex(pc.utf8_lower(found.field("v")), r"^.*@", "")
        known = to_mask(pc.is_in(handle, value_set=_UPI_HANDLES))
        return known | context_group(found, "c")

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(
            values,
            r"^(?i:(?:https?|ftp)://[^\s/?#@]+(?:@[^\s/?#]+)?(?:[/?#]\S*)?|www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#:]\S*)?)$",
        )

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Case-insensitive: non-ASCII letters that fold to ASCII ones count too.
        return share_starting_with(values, b"hHfFwW", non_ascii=True, min_bytes=5)

    def published(self, values: pa.Array) -> np.ndarray:
        # A resource's URN (a FHIR Bundle entry's "fullUrl": "urn:uuid:..."): the document's own
        # reference, as its "id" is, not a person's page; replacing it breaks the Bundle's links.
        return matches(values, r"^urn:(?:uuid:[0-9a-fA-F-]{36}|oid:[0-9.]+)$")
