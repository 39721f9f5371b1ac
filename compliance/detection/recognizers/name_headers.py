"""Which column headers name a person's name (recognizers/people.py): the whole-header rule, and
the token rule for the headers it has no alternative for."""

from __future__ import annotations

import re

# Qualified names ("patient_first_name", "cardholder_name", "pcp_name") or bare "name", and the
# people a column can name by role ("cardholder", "referring_md", "requester"); not "product_name".
PERSON_NAME_HEADER = (
    r"(?:[a-z0-9]+_)*(?:first|last|full|given|family|middle|maiden|sur|fore|display|legal|preferred|"
    r"patient|customer|client|person|member|subscriber|guarantor|contact|employee|cardholder|card_holder|"
    r"account_holder|holder|beneficiary|insured|applicant|owner|emergency_contact|parent|guardian|"
    r"spouse|mother|father|physician|doctor|provider|nurse|student|passenger|recipient|sender|"
    r"payee|payer|pcp|referring|attending|ordering|rendering|treating|prescriber|prescribing|surgeon|"
    r"therapist|caregiver|kin|next_of_kin|relative|requester|requestor|assignee|reporter|author|agent|"
    r"rep|representative|manager|supervisor|signer|witness|driver|tenant|guest|visitor|candidate|"
    r"traveler|traveller|buyer|seller|shipper|consignee|dependent|dependant|pt|enrollee|claimant|"
    r"policyholder|policy_holder|borrower|cosigner|co_signer|debtor|landlord|renter|lessee|donor|"
    r"decedent|child|infant|son|daughter|sibling|emergency|ec|nok|resident|pax)_?names?|"
    r"names?|surname|forename|given_names?|"
    # The same in the languages of the exports we see (headers.normalize_header folds accents):
    # "Nombre", "Apellidos", "Prénom", "Nachname", "Cognome", "Voornaam"; and the noun-first
    # qualified form of Romance languages: "nombre_del_paciente", "nom_patient".
    r"nombres?|apellidos?|primer_apellido|segundo_apellido|nombre_completo|nombre_y_apellidos|"
    r"prenoms?|nom|noms|nom_de_famille|nom_de_naissance|nom_d_usage|nom_complet|nom_prenom|"
    r"vorname|vornamen|nachname|familienname|geburtsname|zuname|cognome|nome|nome_completo|"
    r"voornaam|voornamen|achternaam|naam|roepnaam|sobrenome|"
    # Turkish, Polish, Czech, Nordic, Finnish, Hungarian, South Slavic and Romanian name headers.
    r"adi|adi_soyadi|ad_soyad|soyad|soyadi|isim|isim_soyisim|soyisim|imie|imiona|nazwisko|imie_i_nazwisko|"
    r"jmeno|prijmeni|jmeno_a_prijmeni|fornavn|efternavn|etternavn|fornamn|efternamn|etunimi|sukunimi|"
    r"vezeteknev|keresztnev|teljes_nev|ime|prezime|ime_i_prezime|nume|prenume|nume_si_prenume|"
    r"(?:nombre|apellidos?|nom|prenom|nome|cognome)_(?:del_|de_l_|de_|du_|della_|dello_|dell_)?"
    r"(?:paciente|patient|paziente|cliente|client|empleado|salarie|dipendente|titular|titulaire|tutor|"
    r"assure|assicurato|contacto|contact|medico|medecin|padre|madre|pere|mere)|"
    # A name part of the people a record names by role: "Subscriber Last", "patient_first", "Pt Middle".
    r"(?:[a-z0-9]+_)*(?:patient|pt|subscriber|dependent|dependant|member|insured|guarantor|policyholder|"
    r"beneficiary|cardholder|holder|account_holder|customer|client|employee|applicant|guardian|parent|"
    r"spouse|contact|emergency_contact|caregiver|enrollee|claimant|student|tenant|borrower|owner|"
    r"physician|provider|doctor|referring|attending|rendering|ordering|signer|witness)_"
    r"(?:first|last|middle|given|family|maiden|sur|fore|full|legal|preferred)|"
    r"patient|customer|cardholder|card_holder|account_holder|requester|requestor|assignee|"
    # The counterparty of a payment, named by role ("Payee", "Remitter"): a company is tokenized too.
    r"payee|payer|remitter|originator|debtor|creditor|"
    # The person a record is about, named by role: "Employee", "Applicant", "Tenant".
    r"employee|staff_member|worker|applicant|candidate|tenant|student|traveler|traveller|passenger|"
    r"empleado|paciente|salarie|mitarbeiter|dipendente|medewerker|werknemer|"
    # ...in the other languages of insurance, banking and travel exports ("Segurado", "Tomador",
    # "Versicherter", "Assicurato", "Ubezpieczony", "Sigortalı"): a column of ids under one fails closed.
    r"segurad[oa]|tomador|titular|titulaire|asegurad[oa]|tomador_del_seguro|assuree?|souscripteur|"
    r"versicherte[r]?|versicherungsnehmer(?:in)?|assicurat[oa]|contraente|verzekerde|verzekeringnemer|"
    r"ubezpieczon[ya]|sigortali|sigorta_ettiren|beneficiari[oa]|beneficiaire|begunstigde|beguenstigte[r]?|"
    r"kunde|kundin|klant|cliente|inquilino|locataire|mieter(?:in)?|huurder|pasajero|passageiro|passager|"
    r"fahrgast|reisende[r]?|reiziger|hospede|huesped|"
    # Bare name parts and the people a record names by relation ("First", "Guardian", "Spouse").
    r"first|last|middle|given|family|maiden|guardian|parent|spouse|mother|father|"
    r"caregiver|kin|relative|beneficiary|subscriber|guarantor|insured|policyholder|policy_holder|holder|"
    r"(?:[a-z0-9]+_)*(?:pcp|referring|attending|ordering|rendering|treating|prescribing|primary_care)_"
    r"(?:md|dr|doctor|physician|provider|clinician)|physician|doctor|attending|prescriber|next_of_kin"
)

# People a record names by their role towards its subject, whose column may also hold their ids or a
# flag ("Manager": "Janet Stokes" or "E1042" or "Y"): a name column only when its values are names
# (Recognizer.header_with_values). "PCP": "James White NP", "Mary Jones, MD".
PERSON_ROLE_HEADER = (
    r"(?:[a-z0-9]+_)*(?:manager|supervisor|approver|team_lead|team_leader|lead_name|mentor|coach|recruiter|"
    r"interviewer|reviewer|advisor|adviser|counselor|counsellor|case_worker|caseworker|social_worker|"
    r"coordinator|sales_rep|account_rep|pcp|primary_care|primary_care_provider|primary_care_physician|"
    r"primary_physician|provider|attending|referring|referring_physician|referring_provider|admitting|"
    r"consulting|surgeon|nurse|midwife|therapist|clinician|practitioner|dentist|pharmacist|prescriber|"
    r"(?:physician|provider|doctor|pcp|md|dr)_(?:of_record|assigned)|"
    r"(?:reports|reporting|approved|reviewed|signed|verified|authori[sz]ed|referred|assigned|seen|treated|"
    r"supervised|managed|counter_signed|countersigned)_(?:to|by))"
)

# Headers read token by token where the whole-header rule has no alternative: a person by role and a
# name word in any order ("Counterparty Name", "Name on Card", "Remitter Name", "Account Name"), a
# surname or given-name word with a qualifier ("achternaam_partner", "nachname_ehepartner").
_NAME_TOKENS = frozenset({"name", "names", "naam", "nom", "nombre", "nome", "namen"})
_NAME_PART_TOKENS = frozenset(
    """
    surname surnames forename forenames firstname lastname givenname familyname nachname vorname vornamen
    familienname geburtsname achternaam voornaam voornamen roepnaam apellido apellidos prenom prenoms cognome
    sobrenome
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_ROLE_TOKENS = frozenset(
    """
    counterparty remitter sender recipient payer payee beneficiary originator orderer debtor creditor
    customer client holder cardholder card account employee member patient subscriber guarantor insured
    applicant tenant owner signatory signer author spouse contact person passenger pax traveller traveler
    guest kunde kundin klant cliente mieter huurder locataire inquilino passagier fahrgast reisender gast
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Tokens that make a "name" a thing's, not a person's: "file_name", "merchant_name", "bank_name".
_IMPERSONAL_TOKENS = frozenset(
    """
    file filename product company merchant bank hospital drug device host hostname user agent brand store
    shop vendor supplier business org organisation organization employer facility clinic pharmacy practice
    plan program programme campaign event project team group department dept field column table schema
    database db server domain app application service package module class function method variable key
    tag label category type model make city street country state region place location site venue
    building school university institution insurer carrier network ssid wifi queue topic bucket image
    container node cluster test job task workflow pipeline step stage feature setting config parameter
    param attribute property object item sku course printer report document template folder directory
    path font color colour currency unit catalog list index sheet page section screen form lab laboratory
    issuer acquirer processor gateway scheme insurance policy benefit fund
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Whole headers that name a payment's party or a record's writer without a name word.
_ROLE_HEADER = re.compile(
    r"counterparty|counter_party|sender|recipient|author|orderer|"
    r"(?:ordering|ultimate|originating|receiving|sending|paying|remitting)_(?:customer|party|debtor|creditor|client)"
)
_NAMED_PART = re.compile(r"(?:^|_)(?:first|last|given|family|middle|maiden|full|birth)_?names?(?:_|$)")


def named_by_tokens(normalized: str) -> bool:
    """Whether a header's tokens name a person's name where the whole-header rule does not."""
    if _ROLE_HEADER.fullmatch(normalized):
        return True
    tokens = normalized.split("_")
    if _IMPERSONAL_TOKENS.intersection(tokens):
        return False
    if _NAME_PART_TOKENS.intersection(tokens) or _NAMED_PART.search(normalized):
        return True
    return bool(_NAME_TOKENS.intersection(tokens) and _ROLE_TOKENS.intersection(tokens))


def names_a_thing(normalized: str) -> bool:
    """Whether a header's tokens name a thing, not a person ("product", "merchant_info")."""
    return bool(_IMPERSONAL_TOKENS.intersection(normalized.split("_")))
