"""The words and shapes around a person's name in free text (recognizers/people.py): what
announces a person whoever it is, relations after a name, titled words, CJK names, the payment and
job words before one."""

from __future__ import annotations

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern
from compliance.detection.recognizers.name_words import PAYMENT_WORDS, ROLE_WORDS

# Words that say the next two capitalised words are a person, whoever it is ("spoke with Imani
# Boone", "Emergency contact Chiamaka Obi", "it's Oluwaseun Adeyemi", "daughter Ngozi Okafor",
# "Patient Zainab Smith reports"): the context is the evidence, no list of given names is needed.
MADE_OUT = ("updated", "created", "opened", "closed", "registered", "booked", "issued", "scheduled", "refunded",
             "reissued", "payable", "made out")  # fmt: skip
VOUCHING = ("guarantor", "referee", "landlord", "landlady", "cosigner", "co-signer", "nachbar", "nachbarin",
            "vermieter", "vermieterin", "voisin", "voisine", "vecino", "vecina", "vicino", "vicina", "buurman",
            "buurvrouw")  # fmt: skip
BY = ("accompanied", "referred", "seen", "signed", "witnessed", "verified", "authorised", "authorized")
ADDED = ("add", "added", "adding", "new", "remove", "removed", "enrolled", "covered")
ADDED_PEOPLE = ("dependent", "dependant", "beneficiary", "spouse", "child", "domestic partner")
PERSON_CONTEXT = (
    r"(?i:\b(?:spoke|speaking|spoken|talked|talking|speak|talk) (?:with|to)|\b(?:emergency )?contact(?:ed)?|"
    r"\b(?:lives|living|home|stays|staying) (?:with|w/)|"
    # Records made out to someone: "account updated for Ngozi Okafor", "cheque payable to Imani Boone".
    rf"\b(?:{'|'.join(MADE_OUT)}) (?:to|for)|\b(?:{'|'.join(BY)}) by|\bon behalf of|\bjoint holder|"
    r"\b(?:card ?|account )holder|\bpayee|\bremitter|"
    r"\bnext of kin|\bnok|"
    # Meetings, an HR record's people and court-ordered payments: "SW met with Destiny Hanson",
    # "Added dependent Amber Bradford", "Child support for April Meyers".
    rf"\b(?:met|meeting|visited|visit) with|\b(?:{'|'.join(ADDED)}) (?:{'|'.join(ADDED_PEOPLE)})|"
    r"\b(?:child|spousal) support (?:for|to|from)|"
    # A person named by their job to someone, as a label: "Assistant: Robin Cole".
    r"\b(?:assistant|secretary|colleague|coworker|co-worker|deputy|boss|supervisor):|"
    # Relatives in the other languages of the exports: "Tochter Anna Berg", "épouse Marie Caron".
    # Not those that start firms' names too ("Bruder Knappe AG", "Müller & Sohn", "Padre Pio Stiftung").
    r"\b(?:tochter|ehefrau|ehemann|[ée]pouse|[ée]poux|hija|hijo|esposa|esposo|figlia|figlio|moglie|marito|"
    r"dochter|echtgenote)|"
    # Who vouches for a tenant or takes a parcel: "Guarantor: Jack Cornelisz", "Previous landlord Lee
    # Edwards", "Lieferung an Nachbar Robin Scholl", "voisine Marie Caron".
    rf"\b(?:{'|'.join(VOUCHING)})|"
    r"\b(?:daughter|son|wife|husband|spouse|mother|father|mom|mum|dad|brother|sister|partner|guardian|caregiver|"
    r"carer|friend|neighbou?r|niece|nephew|aunt|uncle|grand(?:mother|father|son|daughter)|fianc[ée]e?))"
)
# What the C prefilter looks for of those words: word starts (the phrases as written: one space), and
# whole words (cheaper: "son" is no hint in "Sony", nor "dad" in "Dade").
PERSON_CONTEXT_STARTS = (
    "spoke ", "speak", "talk", "contact", "neighbo", "grand", "fianc", "on behalf of", "joint holder",
    "next of kin", "co-signer", "cardholder", "card holder", "account holder", "payee", "remitter", "met with", "meeting with",
    "visited with", "visit with", "child support", "spousal support",
    "assistant:", "secretary:", "colleague:", "coworker:", "co-worker:", "deputy:", "boss:", "supervisor:",
    *(f"{verb} {who}" for verb in ADDED for who in ADDED_PEOPLE), "lives with", "living with", "home with", "home w/", "stays with", "staying with",
    *(f"{verb} {to}" for verb in MADE_OUT for to in ("to", "for")),
    *(f"{verb} by" for verb in BY),
)  # fmt: skip
PERSON_CONTEXT_WORDS = (
    "nok", "daughter", "son", "wife", "husband", "spouse", "mother", "father", "mom", "mum", "dad", "brother",
    "sister", "partner", "guardian", "caregiver", "carer", "friend", "niece", "nephew", "aunt", "uncle",
    "tochter", "ehefrau", "ehemann", "epouse", "epoux", "hija", "hijo", "esposa", "esposo", "figlia", "figlio",
    "moglie", "marito", "dochter", "echtgenote", *(word for word in VOUCHING if "-" not in word),
)  # fmt: skip
# Words that often, not always, come before a name ("Patient Zainab Smith reports", "it's Ngozi
# Okafor", "this is Tariq Hassan"): a pair followed by a third capitalised word ("Patient Portal
# Access") is rather a title, and is left alone.
WEAK_PERSON_CONTEXT = r"(?i:\bpatient|\bpt|\bit'?s|\bit\s+is|\bthis\s+is|\bi'?m|\bi\s+am|\bhere\s+is)"
# Introducing oneself in the other languages of the exports: "hier ist Anna Weber", "je suis Marie
# Dubois", "soy Lucía Gómez", "mi chiamo Luca Rossi", "ik ben Daan de Vries". Nouns are capitalised
# in German ("hier ist Ihre Bestellung"): the first word must be a known given name.
SELF_INTRO = (
    r"(?i:\b(?P<de>hier\s+(?:ist|spricht)|ich\s+bin|mein\s+name\s+ist)|\bje\s+suis|\bje\s+m['’]appelle|"
    r"\bmon\s+nom\s+est|\bsoy|\bme\s+llamo|\bmi\s+nombre\s+es|\bmi\s+chiamo|\bsono|\bik\s+ben|"
    r"\bmijn\s+naam\s+is|\beu\s+sou|\bme\s+chamo)"
)
SELF_INTRO_WORDS = ("hier", "ich", "mein", "je", "mon", "soy", "llamo", "nombre", "chiamo", "sono", "ik", "mijn",
                    "sou", "chamo")  # fmt: skip
# Relations written after the name: "Imani Boone (spouse)", "Kofi Mensah (joint holder)".
RELATION_AFTER = (
    r"\s*\((?i:spouse|wife|husband|partner|son|daughter|mother|father|mom|mum|dad|brother|sister|guardian|"
    r"parent|caregiver|carer|friend|neighbou?r|self|patient|pt|joint holder|account holder|next of kin|nok|"
    r"emergency contact|poa|guarantor|subscriber|dependent|dependant)\)"
)


# Surname particles of the locales we see ("Sophie van der Berg", "Carmen de la Fuente").
# Irish ones written apart from the surname: "Ó Súilleabháin", "Ní Bhriain", "Mac Giolla"; Dutch
# contractions and German ones: "Sterre van 't Erve", "Zoë 's Gravensande", "Jan te Kamp", "vom Berg".
PARTICLES = (
    r"(?:van|von|vom|zu|zur|de|der|den|del|della|di|da|du|la|le|ter|ten|te|het|['’]t|['’]s|dos|das|do|"
    r"St\.?|Ó|O|Ní|Nic|Mac|Mhic|Uí|Ua)"
)
NAME_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž]+"


# A capitalised name word ("Oluwaseun", "O'Brien", "Vallée") or one in capitals ("OKAFOR").
# Korean given names hyphenate in lower case ("Eun-ji").
ANY_NAME_WORD = (
    r"(?:[A-ZÀ-ÖØ-ÞĀ-ž](?:[a-zß-öø-ÿĀ-ž]|['’][A-ZÀ-ÖØ-ÞĀ-ž])[A-Za-zÀ-ÖØ-öø-ÿĀ-ž]*"
    r"(?:[-'’][A-ZÀ-ÖØ-ÞĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž]*|-[a-zß-öø-ÿĀ-ž]{2,})*"
    r"|[A-ZÀ-ÖØ-ÞĀ-ž]{2,}(?:[-'’][A-ZÀ-ÖØ-ÞĀ-ž]+)*\b)"
)


# Given name and surname in Chinese, Japanese (kanji, kana) or Korean script, apart or not: "太郎 佐藤",
# "李小龙", "김민준". Literal ranges: the regex is read by RE2 and by Python's `re`.
CJK = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]"
CJK_NAME = f"{CJK}{{1,5}}(?:[ \u3000]{CJK}{{1,5}})?"


# A name word in title case only ("Okafor", "O'Neil"): after a job word, capitals are rather an
# acronym ("RN BSN").
TITLED_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ž](?:[a-zß-öø-ÿĀ-ž]|['’][A-ZÀ-ÖØ-ÞĀ-ž])[A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’-]*"
# The words before a payment's counterparty or a patient written in capitals ("FPS CREDIT FROM SHARON DAWSON").
PAYMENT_CONTEXT = r"(?i:\b(?:" + "|".join(PAYMENT_WORDS) + r")\s+(?:from|to))[:]?\s+"
# A job word, or "Dr" without its full stop where no street can end in it: first in the text, after
# punctuation or after a lower-case word ("Dr Amaka Obi reviewed"; "Elm Dr Springfield" stays).
ROLE_CONTEXT = (
    r"(?:(?i:\b(?:"
    + "|".join(w.replace(" ", r"\s") for w in ROLE_WORDS)
    + r"))|(?:^|[.;:!?(\[,]\s*|\b[a-z][a-z/]*\s+)Dr)"
)
# An e-mail address right after a display name: "Jane Doe <jane.doe@x.org>".
# Outlook quotes a reply's sender as "From: Jane Doe [mailto:jd@x.org]".
ADDRESS_AFTER = r"\s*(?:<|\[mailto:)(?P<local>[\w.+'-]+)@"
# The name of a doctor field of an HL7 PV1 segment (attending 7, referring 8, consulting 9,
# admitting 17): XCN, ID^FAMILY^GIVEN^MIDDLE...
HL7_XCN_NAME = r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]*\^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]*(?:\^[A-Za-zÀ-ÖØ-öø-ÿ' .-]*)*"

# The words before a payment's counterparty in capitals ("FPS CREDIT FROM SHARON DAWSON", people.py).
COUNTERPARTY_LEADS = (
    "FROM", "TO", "PAYEE", "BENEFICIARY", "BEN", "ATTN", "FAO", "BY", "PT", "PATIENT", "MEMBER", "CUSTOMER", "THANK",
)  # fmt: skip

# Words that, as often as not, come before a person named in full: a support agent or a caller
# ("Verified caller Jade Walker", "Agent Tony Ali was very helpful"), a manager ("Reports to Brooke
# Long"), a sign-off ("approved by Lee Payne"), a greeting on a gift or a card ("Happy birthday
# Mackenzie Woods!!", "Congrats Faith King", "Love you Jack Hammond"). They announce things too
# ("Agent Orange", "Caller ID", "Happy Birthday Banner"): the first word must be a known given name, and
# the second no place or organisation word unless it is a surname too ("Mark Hill").
GREETED_OR_ROLE = (
    r"(?i:\b(?:verified\s+)?caller|\bagent|\b(?:sales\s+|support\s+|service\s+)?rep(?:resentative)?|\bcourier|"
    r"\badvis[eo]r|\bdispatcher|\bhome\s+health(?:\s+aide)?|\b(?:reports|reporting)\s+(?:to|into)|"
    r"\b(?:line\s+)?manager|\b(?:approved|reviewed|authori[sz]ed|countersigned|co-signed)\s+by|"
    r"\bhappy\s+(?:birthday|bday|anniversary|retirement|graduation)|\bcongrat(?:s|ulations)|\blove\s+you|"
    r"\bwell\s+done|\bget\s+well\s+soon|\bmerry\s+christmas|\bhappy\s+holidays)"
)
GREETED_OR_ROLE_STARTS = (
    "caller", "verified caller", "agent", "rep", "courier", "advise", "adviso", "dispatcher", "home health",
    "reports", "reporting", "manager", "line manager", "approved by", "reviewed by", "authorised by",
    "authorized by", "countersigned", "co-signed", "happy", "congrat", "love you", "well done", "get well",
    "merry christmas", "sales rep", "support rep", "service rep",
)  # fmt: skip
# Credentials written after a clinician's name: "Home health: Mary Jones RN", "Sheila Rhodes, MD".
CREDENTIALS = (
    "RN",
    "LPN",
    "LVN",
    "NP",
    "FNP",
    "APRN",
    "CNA",
    "MD",
    "DO",
    "PA-C",
    "PharmD",
    "DPT",
    "DDS",
    "CRNA",
)
_CREDENTIAL = "|".join(credential.replace("-", "\\-") for credential in CREDENTIALS)


def _pair(before: str = "", after: str = "") -> str:
    return (
        rf"{before}(?P<v>(?P<first>{ANY_NAME_WORD})(?: [A-Z]\.?)? (?:{PARTICLES} ){{0,2}}"
        rf"(?P<last>{ANY_NAME_WORD})){after}"
    )


NAME_CONTEXT_PATTERNS = (
    TextPattern(
        _pair(before=rf"{GREETED_OR_ROLE}[,:!]?\s+"),
        TextHint(keywords=GREETED_OR_ROLE_STARTS),
        "validate_announced_given",
    ),
    TextPattern(
        _pair(before=r"(?:^|[^\w'’-])", after=rf",?\s(?:{_CREDENTIAL})\b"),
        TextHint(exact=CREDENTIALS),
        "validate_announced_given",
    ),
)

# Titles of other languages: "M. Émile Navarro", "Mme Dubois", "Herr Becker", "Frau Dr. Vogel",
# "Sra. Pérez", "Sig.ra Bianchi", "Dott. Rossi", "Dhr. de Vries", "Mevr. Jansen".
OTHER_TITLES = (
    r"\b(?:Mme|Mlle|Herr|Frau|Sra|Srta|Sig\.ra|Sig\.na|Dott\.ssa|Dhr|Mevr)\.?|\b(?:M|Sr|Sig|Dott)\."
)
# A label ("Patient:", "Name:", and JSON keys: "name": "...", "firstName": "...") before a name.
NAME_LABEL = (
    r"(?i:\b(?:patient|patient name|name|pt|"
    r"(?:first|last|full|given|family|middle|preferred|legal|maiden|birth|nick)_?name))\"?\s*:"
)
