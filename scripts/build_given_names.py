"""Write compliance/detection/given_names.txt: the given names the free-text name detector knows
(recognizers/people.py), taken once from Faker's person providers of the locales the platform's
exports come from, and from the US census given-name lists (1990: 1,219 male and 4,275 female
names: "Darnell", "Keisha", "Xiomara", which Faker's lists lack) that the `names` package ships, so
the detector imports neither at run time. Census names that are common English words ("Major",
"Page": Faker's English lorem word list) or months ("September"), and those more frequent as a
census surname than as a given name ("Williams", "Lincoln"), are left out: they start sentences and
name streets more often than people.

It also merges scripts/given_names_curated.txt: 9,216 given names added when untitled names of
Akan, Yoruba, Igbo, Swahili, Irish, Japanese and other communities leaked raw. They were taken once
from the first names of Faker's other person locales, leaving out English words (Faker's word lists
and lower-case words of Python's sources), the surnames of Faker's English locales and hyphenated
names. That word filter was a one-off scan, so its result is kept as data rather than re-derived
here. Add a name there, not in the generated file.

    uv pip install --python .venv/bin/python names==0.3.0   # once: not a runtime dependency
    .venv/bin/python scripts/build_given_names.py
"""

from __future__ import annotations

import calendar
import importlib
import importlib.abc
import importlib.resources
from pathlib import Path

LOCALES = (
    "en_US", "en_GB", "en_IE", "en_AU", "en_CA", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CA",
    "nl_NL", "nl_BE", "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT", "pl_PL", "sv_SE", "da_DK", "no_NO",
    "fi_FI", "cs_CZ", "zh_CN", "vi_VN", "ko_KR", "tr_TR",
)  # fmt: skip
CENSUS_FILES = ("dist.male.first", "dist.female.first")
HERE = Path(__file__).resolve().parent
CURATED = HERE / "given_names_curated.txt"
OUT = HERE.parent / "compliance" / "detection" / "given_names.txt"


def _frequencies(path: importlib.abc.Traversable) -> dict[str, float]:
    """NAME -> its share of the population (%), from a census file's "DARNELL  0.020 84.008  476" lines."""
    rows = (line.split() for line in path.read_text(encoding="ascii").splitlines() if line.strip())
    return {row[0]: float(row[1]) for row in rows}


def census_given_names() -> set[str]:
    """The census given names of the `names` package, title-cased, minus common words, months and
    names more frequent as surnames."""
    try:
        package = importlib.resources.files("names")
    except ModuleNotFoundError as exc:
        raise SystemExit("scripts/build_given_names.py needs the `names` package: see its docstring") from exc
    lorem = importlib.import_module("faker.providers.lorem.en_US").Provider.word_list
    words = {word.lower() for word in lorem} | {month.lower() for month in calendar.month_name if month}
    surname = _frequencies(package / "dist.all.last")
    given: dict[str, float] = {}
    for file_name in CENSUS_FILES:
        for name, share in _frequencies(package / file_name).items():
            given[name] = max(given.get(name, 0.0), share)
    return {
        name.title()
        for name, share in given.items()
        if name.lower() not in words and surname.get(name, 0.0) <= share
    }


def given_names() -> set[str]:
    census = census_given_names()
    names = set(census)
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            found = getattr(provider, attribute, ())
            names.update(found.keys() if isinstance(found, dict) else found)
    # A name word the detector can read: capitalised, letters (a hyphen inside: "Jean-Pierre"), and
    # starting with an ASCII letter, which the C prefilter needs (hints.py; "Émile" is left out).
    readable = {
        name
        for name in names
        if len(name) >= 3
        and name[0].isascii()
        and name[0].isupper()
        and name[1:].replace("-", "").isalpha()
        and name[1:].replace("-", "").islower()
    }
    return readable | camel_case(census) | curated_names()


def curated_names() -> set[str]:
    """The reviewed names of scripts/given_names_curated.txt (one a line)."""
    return set(CURATED.read_text(encoding="utf-8").split())


# African-American given names are often written with a capital inside: "LaToya", "DeShawn", "DaQuan".
_CAMEL_PREFIXES = ("La", "De", "Da", "Ja", "Le", "Ke", "Ta", "Sha", "Ra", "Ty")


def camel_case(census: set[str]) -> set[str]:
    """ "Deshawn" -> "DeShawn": the census names made of a prefix above and another census name
    ("Shawn", "Andre", "Toya"), which is how such names are formed ("Daniel" is not "Da" + "Niel")."""
    return {
        prefix + name[len(prefix) :]
        for name in census
        for prefix in _CAMEL_PREFIXES
        if name.startswith(prefix) and name[len(prefix) :].title() in census and len(name) - len(prefix) >= 3
        for name in (prefix + name[len(prefix) :].title(),)
    }


if __name__ == "__main__":
    names = sorted(given_names())
    OUT.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} given names -> {OUT}")
