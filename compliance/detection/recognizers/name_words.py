"""Word lists of the person-name recognizer: which capitalised words are names, and which are not."""

from __future__ import annotations

# Given names that are as often common words, months or places ("Will", "May", "Grace", "Georgia"):
# not enough to take the next capitalised word for a surname.
AMBIGUOUS_GIVEN = frozenset(
    """
    Abbey Adelaide Africa Alabama Allegra America Amber Angel April Arizona Art Ash Aspen August Austin
    Autumn Avenue Baby Bay Bell Belle Berry Bill Billie Birdie Blaze Bliss Blue Bobbie Bond Born Brand
    Brandy Breeze Brook Brooke Buck Bud Bunny Butch Cadence Cameo Camden Candy Care Carol Cash Chance
    Charity Chase Cherry China Christian Clay Clement Cliff Cloud Colt Coral Cruz Crystal Daisy Dale
    Dallas Dash Dawn Day Dean Denver Destiny Diamond Dolly Don Dot Dove Drew Early Easter Eden Elm Ember
    Essence Faith Fall Fern Florence Forest Frank Gale Gay Gem Georgia Gift Glen Glory Gold Golden Grace
    Grant Gray Green Grey Guy Harmony Haven Hazel Heath Heaven Holly Honey Hope Hunter Iris Ivory Ivy
    Jack Jade Jasmine Jay Jean Jewel Jordan Joy Judge June Justice Kent King Lake Lane Laurel Lawrence
    Lee Legend Liberty Lily Lincoln Long Louisiana Love Lucky Madison March Marina Mark Marsh Mason
    Maxi May Melody Memory Mercy Merry Miles Mint Misty Montana Moon Morning Nevada Nice Noble Norman
    North Ocean Olive Page Paris Park Patience Pearl Penny Pepper Phoenix Pierce Pink Poppy Precious
    Price Prince Queen Rain Raven Ray Reed Rich Ridge River Robin Rock Rocky Rose Ruby Rush Rusty Sage
    Savannah Scarlet Sky Skye Sonny Spring Star Sterling Stone Storm Summer Sunny Sunshine Tango Temple
    Texas Tiger Trinity True Unique Valentine Vegas Velvet Victoria Virginia Wade Ward Washington West
    Will Willow Winter Wren York Young Zion
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Capitalised words after a given name that make it a place, a street or an organisation ("Franklin
# Street", "Jackson Memorial", "Victoria Station"), or a date ("Friday", "March").
NOT_SURNAME = frozenset(
    """
    Academy Airport Alley Ave Avenue Bank Bay Beach Blvd Boulevard Bridge Building Campus Center Centre
    Cir Circle Clinic Close College Company Corp Corporation County Court Cove Creek Ct Dept Department
    Dr Drive Est Estate Estates Expressway Fund Foundation Gardens Group Hall Health Healthcare Heights
    Highway Hill Hills Hospital Hotel House Hwy Inc Institute Island Jct Lake Lakes Lane Library Ln Loop
    Ltd Mall Manor Market Medical Memorial Mews Mill Motors Mount Mountain Museum Parish Parkway Pass
    Pharmacy Pike Pkwy Pl Place Plaza Point Port Rd Ridge River Road Row School Shore Sq Square St
    Station Store Street Studio Suite Ter Terrace Tower Trail Tpke Trust University Valley View Village
    Way Woods Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov
    Dec The And Or Of In On At To For From With By Is Was Will Can May Has Had Not No Yes Ok Please
    Thanks Thank Hi Hello Dear Regards Team Support Customer Patient Account Order Invoice Ticket
    Police Fire Church City Town State National International Global Services Solutions Systems
    Labs Laboratory Insurance Care Partners Associates Holdings Ventures Capital Financial
    Portal Access Education Information Services Service Satisfaction Safety Record Records Chart
    Name Number Advocate Relations Experience Intake Registration Consent Assistance Transport
    Transfer Discharge Admission Summary Instructions Notes Portal Survey Feedback Billing Payment
    Community Fellowship Ministries Charity Club Society Card Cards Checking Savings Loan Loans Mortgage Wallet Visa Mastercard Amex Brokerage Escrow
    Reports Report Presents Presented Reports States Denies Complains Tolerated Admitted Discharged
    Committee Board Panel Council Commission Office Unit Meeting Conference Huddle Rounds
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Place words that are as often surnames ("Yetunde Hall", "Tariq Lane"): after words that announce
# a person ("spoke with", "daughter", "(spouse)") the pair is a name all the same.
SURNAME_TOO = frozenset(
    """
    Bank Banks Bay Beach Bridge Brook Church Cross Fields Ford Hall Hill Hills Lake Lane Mill Mills
    Park Ridge River Rivers Shore Stone Street Wells Woods Young Green Gray Grey Marsh Field Price Ward
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that say who a person is to the record ("Imani Boone (spouse)"): the C prefilter's whole words
# of the relation patterns.
RELATION_WORDS = (
    "spouse",
    "wife",
    "husband",
    "partner",
    "son",
    "daughter",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "brother",
    "sister",
    "guardian",
    "parent",
    "caregiver",
    "carer",
    "friend",
    "neighbor",
    "neighbour",
    "self",
    "patient",
    "pt",
    "joint",
    "account",
    "next",
    "nok",
    "emergency",
    "poa",
    "guarantor",
    "subscriber",
    "dependent",
    "dependant",
)
# Payment and transfer words after which "from"/"to" names the counterparty ("Zelle from John Smith",
# "transfer from J. Okafor"); a company or an own account ("transfer to savings") is no person.
PAYMENT_WORDS = (
    "zelle", "venmo", "paypal", "cashapp", "cash app", "interac", "transfer", "xfer", "trf", "payment", "pmt",
    "wire", "remittance", "sent", "received", "deposit", "credit", "debit", "p2p", "ach", "fps", "bacs", "sepa",
)  # fmt: skip
# Jobs named before a person's name in notes ("Driver Penny Payne", "Nurse Okafor", "Pharmacist R. Singh").
ROLE_WORDS = (
    "driver", "nurse", "rn", "lpn", "pharmacist", "pharmacy tech", "pharm tech", "technician", "caseworker",
    "case worker", "case manager", "social worker", "therapist", "physiotherapist", "physio", "paramedic",
    "midwife", "dietitian", "counselor", "counsellor", "chaplain", "interpreter", "translator", "surgeon",
    "doctor",
)  # fmt: skip
# Capitalised words after a job word that make it a heading or a thing ("Driver Update", "Nurse
# Station", "Pharmacist Notes"), not a person.
ROLE_NOUNS = frozenset(
    """
    Update Updates Station Stations Notes Note Shift Shifts Desk Schedule Rota License Licence Training
    Handbook Log Line Call Calls Assistant Aide Practitioner Manager Supervisor Staff Pool App Details Info
    Name Id Review Check Verification Consult Consultation Counseling Counselling Pickup Delivery Route
    Vehicle Version Download Error Install Signature Sign Initials Visit Visits Assessment Orders
    Education Led Only Required Needed Available On Off New Pay Rate Hours Jobs Job Role Roles Mode
    Assigned Unavailable Requested Reviewed Approved Override Comments Comment Feedback Handover Huddle
    Who Any All My Your Our Their His Her This That Each Every General Week Day Appreciation Spanish
    French Portuguese Mandarin Cantonese Arabic Russian Vietnamese Korean Japanese German Italian Polish
    Haitian Creole Somali Hindi Urdu Bengali Farsi Tagalog Sign Language
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that make a transfer's counterparty an organisation, a public body or an own account, not a
# person ("ZELLE FROM CHASE BANK", "ACH FROM IRS TREAS", "ACH FROM ADP PAYROLL", "TRANSFER TO JOINT
# CHECKING"): legal forms, payroll and government, account and banking words; in title case, as the
# recognizer folds each word. With the place and organisation words of NOT_SURNAME. Shops a prescription
# is sent to ("Rx sent to Shoppers Drug Mart #0822") are firms too.
COUNTERPARTY_FIRM_WORDS = frozenset(
    """
    Bank Banks Banking Bancorp Treas Treasury Irs Hmrc Dfas Ssa Usps Tax Taxes Gov Govt Government Dept
    Inc Llc Llp Lp Ltd Limited Plc Corp Co Cos Company Gmbh Ag Sa Sas Sarl Spa Srl Bv Nv Pty Pllc Pc
    Incorporated Assoc Assn Union Fcu Payroll Salary Wages Pension Insurance Assurance Mutual
    Marketplace Savings Checking Chequing Current Account Accounts Acct Deposit Deposits Transfer Online
    Mobile Internal External Own Joint Brokerage Investments Investment Securities Credit Debit Refund
    Refunds Rewards Cashback Interest Dividend Loan Loans Mortgage Card Cards Pay Payments Payment
    Merchant Utilities Utility Electric Energy Gas Water Power Wireless Telecom Cable Broadband
    Rent Property Properties Realty Management Motors Auto Airlines Airways Stores Supermarket Foods
    Drug Drugs Mart Chemist Chemists Apothecary Dispensary Wholesale Outlet Depot Express
    Social Security Benefit Benefits Welfare Council Revenue Customs Court Agency Agencies Collections
    Iban Bic Swift Sort
    Zelle Venmo Paypal Cashapp Interac
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words of a payment memo that end a counterparty's name ("FROM OLUWASEUN BAKARE SORT CODE ...",
# "TO KEMI ADEYEMI REF RENT"), in any case.
MEMO_WORDS = (
    "ref", "reference", "re", "sort", "iban", "bic", "swift", "acc", "acct", "ac", "memo", "id", "conf",
    "confirmation", "txn", "trn", "trace", "inv", "invoice", "date", "on", "via", "for", "amt", "amount",
    "ppd", "ccd", "web", "tel", "rent", "bill", "note", "msg",
)  # fmt: skip


# What a person column holds beside names (recognizers/people.py).
# HL7 v2 XPN: FAMILY^GIVEN^MIDDLE^SUFFIX^PREFIX, a family name and a given name of letters at least.
XPN_NAME = r"^\pL[\pL'’ .-]+\^\pL[\pL'’ .-]*(?:\^[\pL'’ .-]*){0,5}$"
# What a person column holds instead of a name: the relationship a form asks for, or "same as"; not
# the relations that are surnames too ("Parent", "Child").
PERSON_PLACEHOLDER = (
    r"^(?i:self|same|same as (?:above|patient|pt|subscriber|insured|member|guarantor|employee|applicant)|"
    r"as above|see above|see notes?|on file|spouse|patient|pt|dependent|dependant|subscriber|insured)\.?$"
)
# Words that make a payee or payer an organisation: legal forms and institutions ("QUEST DIAGNOSTICS
# INC", "MERCY GENERAL HOSPITAL", "CVS PHARMACY #4471", "Müller GmbH", "Grupo Sanchez S.A.").
ORGANISATION = (
    r"(?i:(?:^|[^\pL])(?:hospitals?|clinics?|pharmacy|pharmacies|inc|llc|llp|ltd|limited|plc|gmbh|corp|"
    r"corporation|incorporated|company|bank|associates|labs?|laborator(?:y|ies)|diagnostics|imaging|radiology|"
    r"medical (?:center|centre|group)|health ?(?:system|systems|services|center|centre|plan)|healthcare|"
    r"university|foundation|institute|s\.a\.|s\.l\.|b\.v\.|n\.v\.|pty)(?:[^\pL]|$))"
)
# An organisation is a line of at least two words ("Parent", "Company" alone are surnames), with no
# person word beside it ("Dr. Lee c/o Mercy Hospital") and no record ("Jo Roe <jo@roe-corp.com>", JSON).
NOT_AN_ORGANISATION_LINE = (
    r"(?i:^[^\s]*$|[@{}\[\]<>|\n]|(?:^|[^\pL])(?:c/o|attn|fao|dr|mr|mrs|ms|miss|mx)(?:[^\pL]|$))"
)

# Words a cell of a name column may hold that are no name ("see office", "pending", "self").
COMMON_WORDS = (
    "a", "an", "the", "to", "for", "at", "in", "on", "of", "with", "and", "or", "is", "was", "will",
    "has", "had", "not", "no", "none", "n", "na", "unknown", "see", "per", "re", "about", "office",
    "on-call", "oncall", "pending", "tbd", "same", "self",
)  # fmt: skip
