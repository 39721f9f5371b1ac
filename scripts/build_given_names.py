"""Write compliance/detection/given_names.txt: the given names the free-text name detector knows
(recognizers/people.py), taken once from Faker's person providers of the locales the platform's
exports come from, so the detector does not import Faker at run time.

    .venv/bin/python scripts/build_given_names.py
"""

from __future__ import annotations

import importlib
from pathlib import Path

LOCALES = (
    "en_US", "en_GB", "en_IE", "en_AU", "en_CA", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CA",
    "nl_NL", "nl_BE", "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT", "pl_PL", "sv_SE", "da_DK", "no_NO",
    "fi_FI", "cs_CZ", "zh_CN", "vi_VN", "ko_KR", "tr_TR",
)  # fmt: skip
OUT = Path(__file__).resolve().parent.parent / "compliance" / "detection" / "given_names.txt"


def given_names() -> set[str]:
    names: set[str] = set()
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            found = getattr(provider, attribute, ())
            names.update(found.keys() if isinstance(found, dict) else found)
    # A name word the detector can read: capitalised, letters (a hyphen inside: "Jean-Pierre"), and
    # starting with two ASCII letters, which the C prefilter needs (hints.py).
    return {
        name
        for name in names
        if len(name) >= 3
        and name[:2].isascii()
        and name[:2].isalpha()
        and name[0].isupper()
        and name[1:].replace("-", "").isalpha()
        and name[1:].replace("-", "").islower()
    }


if __name__ == "__main__":
    names = sorted(given_names())
    OUT.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} given names -> {OUT}")
