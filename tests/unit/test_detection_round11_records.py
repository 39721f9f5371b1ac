"""Round 11 (record formats in a text cell): HL7 v2 fields of the next of kin, guarantor, insured
and merged patient, PID repetitions by their type code, and the parties of SWIFT MT103 and ISO 20022
payment messages. The field's position is the evidence and it fails closed, in any script; codes,
control ids, references, BICs and amounts stay. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    # NK1: name (2), relationship code (3) stays, address (4) and phone (5) in any script or shape.
    (
        "NK1|1|Türk^Gülsü|CHD^Child|Atatürk Cad. No:94 D:21|0 (544) 166 38 92",
        "NK1|1|<PERSON_NAME>|CHD^Child|<STREET_ADDRESS>|<PHONE>",
    ),
    (
        "PV1|1|I|W1\rNK1|1|Кузнецова^Галина|SPO^Father|г. Кудымкар|+7 (916) 886-48-40\rDG1|1||J45.9^Dx^I10",
        "PV1|1|I|W1\rNK1|1|<PERSON_NAME>|SPO^Father|<STREET_ADDRESS>|<PHONE>\rDG1|1||J45.9^Dx^I10",
    ),
    # PID-3: a repetition's type code (component 5) says its type; the authority and code stay.
    (
        "PID|1||8432280^^^HOSP^MR~43949115602^^^TR^NI||Doe^Jane",
        "PID|1||<MRN>^^^HOSP^MR~<NATIONAL_ID>^^^TR^NI||<PERSON_NAME>",
    ),
    ("PID|1||E0805^^^HOSP^MR~123-45-6789^^^US^SS||", "PID|1||<MRN>^^^HOSP^MR~<SSN>^^^US^SS||"),
    ("PID|1||E0805^^^HOSP^MR~X77^^^H2^PI||", "PID|1||<MRN>^^^HOSP^MR~<MRN>^^^H2^PI||"),
    # PID-5 in another script, PID-7 a birth date.
    (
        "PID|1||MR955^^^HOSP^MR||Дмитриева^Александра^Игоревна||19840112|F",
        "||<PERSON_NAME>||<DATE_OF_BIRTH>|F",
    ),
    # GT1 guarantor: number, name, address, phone, birth date, SSN.
    (
        "GT1|1|G889|Lee^Min||12 High St^^Leeds||+44 113 496 0000|19700101||||123-45-6789",
        "GT1|1|<MRN>|<PERSON_NAME>||<STREET_ADDRESS>||<PHONE>|<DATE_OF_BIRTH>||||<SSN>",
    ),
    # IN1-16 insured's name, 18 birth date, 19 address.
    (
        "IN1|1|PLAN7" + "|" * 13 + "|Ngata^Aroha|SEL|19800202|5 Kauri Rd^^Auckland",
        "|<PERSON_NAME>|SEL|<DATE_OF_BIRTH>|<STREET_ADDRESS>",
    ),
    ("MRG|MR0042^^^HOSP^MR||||||Old^Name", "MRG|<MRN>^^^HOSP^MR||||||<PERSON_NAME>"),
    # Provider names are anonymized, as PV1's were: PD1-4, and PV1 doctors in any script.
    ("PD1|||Clinic|1234567893^Иванов^Пётр", "PD1|||Clinic|1234567893^<PERSON_NAME>"),
    # MT103 option K: the line after the account is the name, the next lines the address.
    (
        ":20:TRF2947507288\n:32A:241004EUR28360,80\n:50K:/12345678\nΦΙΛΑΡΕΤΗ ΚΟΝΙΑΡΗ\n779, RUE FOUQUET\n"
        "LOT 4\n:59:/87654321\nDINA DE HOOG\nJOHANNESDREEF 88\n:70:INV-2023-21978\n-}",
        ":20:TRF2947507288\n:32A:241004EUR28360,80\n:50K:/12345678\n<PERSON_NAME>\n<STREET_ADDRESS>\n:59:/87654321\n<PERSON_NAME>\n<STREET_ADDRESS>\n:70:INV-2023-21978\n-}",
    ),
    (
        ":50K:JOHN DOE\r\nMAIN STREET 1\r\n:59:X",
        ":50K:<PERSON_NAME>\r\n<STREET_ADDRESS>\r\n:59:<PERSON_NAME>",
    ),
    # MT103 option F: numbered lines.
    (
        "{4:\n:50F:/12345678\n1/GULSU TURK\n2/INONU CAD. NO:26\n3/TR/16110 NILUFER\n4/19800101\n"
        "6/TR/NIDN/1234567\n:59F:/87654321\n1/LUCA PHILLIPSEN\n2/YINTHEPAD 03\n:70:REF1\n-}",
        "{4:\n:50F:/12345678\n1/<PERSON_NAME>\n2/<STREET_ADDRESS>\n3/TR/<STREET_ADDRESS>\n4/<DATE_OF_BIRTH>\n"
        "6/TR/NIDN/<NATIONAL_ID>\n:59F:/87654321\n1/<PERSON_NAME>\n2/<STREET_ADDRESS>\n:70:REF1\n-}",
    ),
    ("{4:\n:50F:NIDN/DE/X1234567\n1/A B\n-}", "{4:\n:50F:NIDN/DE/<NATIONAL_ID>\n1/<PERSON_NAME>\n-}"),
    # ISO 20022 parties: name, postal address elements, birth date and place, private id.
    (
        "<Dbtr><Nm>Σταύρος Βαχουθιανάκης</Nm><PstlAdr><StrtNm>Odos</StrtNm><BldgNb>12</BldgNb>"
        "<PstCd>10431</PstCd><TwnNm>Athina</TwnNm><AdrLine>A 1</AdrLine><AdrLine>B 2</AdrLine><Ctry>GR</Ctry>"
        "</PstlAdr></Dbtr>",
        "<Dbtr><Nm><PERSON_NAME></Nm><PstlAdr><StrtNm><STREET_ADDRESS></StrtNm><BldgNb><STREET_ADDRESS></BldgNb>"
        "<PstCd><ZIP_CODE></PstCd><TwnNm><STREET_ADDRESS></TwnNm><AdrLine><STREET_ADDRESS></AdrLine>"
        "<AdrLine><STREET_ADDRESS></AdrLine><Ctry>GR</Ctry></PstlAdr></Dbtr>",
    ),
    ("<Cdtr><Nm>王小明</Nm></Cdtr>", "<Cdtr><Nm><PERSON_NAME></Nm></Cdtr>"),
    ("<UltmtDbtr>\n  <Nm>Иван Петров</Nm>", "<UltmtDbtr>\n  <Nm><PERSON_NAME></Nm>"),
    (
        "<Id><PrvtId><DtAndPlcOfBirth><BirthDt>1980-02-03</BirthDt><CityOfBirth>Graz</CityOfBirth>"
        "<CtryOfBirth>AT</CtryOfBirth></DtAndPlcOfBirth><Othr><Id>AB1234</Id></Othr></PrvtId></Id>",
        "<Id><PrvtId><DtAndPlcOfBirth><BirthDt><DATE_OF_BIRTH></BirthDt><CityOfBirth><STREET_ADDRESS></CityOfBirth>"
        # A country of birth fails closed as a "country_of_birth" column does (xml_members.py).
        "<CtryOfBirth><UNRECOGNISED_SENSITIVE></CtryOfBirth></DtAndPlcOfBirth><Othr><Id><NATIONAL_ID></Id>"
        "</Othr></PrvtId></Id>",
    ),
]
STAYS = [
    # Structure: segment names, codes, control ids, versions, diagnosis and lab codes.
    "MSH|^~\\&|EPIC|MAINHOSP|LABSYS|MAINHOSP|20240220101700||ADT^A08|MSG7132295041|P|2.5.1",
    "EVN|A01|20240220101700\rDG1|1||J45.9^Diagnosis^I10\rOBX|1|NM|14647-2^Lab^LN||105|mg/dL|||||F",
    'NK1|1|""|CHD^Child',  # an HL7 null
    "PV1|1|I|W1^2^A||||D123^^^^^^^^HOSP",  # a provider's id alone
    "NK1|1||CHD^Child|",  # empty fields
    # A time is no MT tag; references, amounts, BICs and value dates stay.
    "2024-04-29T13:59:27+03:00",
    "{1:F01PKOPPLPWXXX0000000000}{2:I103SOGEFRPPXXXN}{4:\n:20:TRF2947507288\n:23B:CRED\n:71A:SHA\n-}",
    "<PmtId><EndToEndId>E2E-908350587982</EndToEndId></PmtId><BICFI>DEUTDEFFXXX</BICFI>",
    "<CdtrAgt><FinInstnId><BICFI>DEUTDEFFXXX</BICFI><Nm>Deutsche Bank</Nm></FinInstnId></CdtrAgt>",
    "<Dbtr><Nm>PERSON_NAME_k1_4r6kyimmy73zdsmofz3a3gax</Nm></Dbtr>",  # already a token
]


test_a_record_field_is_anonymized_by_its_position = scrub_found_test(FOUND, ending=True)


test_the_structure_of_a_record_stays = scrub_stays_test(STAYS)
