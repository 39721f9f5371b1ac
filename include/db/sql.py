"""The SQL statements of the results database, one per file in include/sql/, read once by name.

Statements with `{name}` placeholders are templates for `psycopg.sql.SQL(...).format(...)` (temp
table shapes known only at load time); every value is still passed as a query parameter.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def load_sql(name: str) -> str:
    """The text of include/sql/<name>.sql (cached: each file is read once per process)."""
    if not _NAME.match(name):
        raise ValueError(f"SQL statement names are lower_snake_case, got {name!r}")
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL statement {name!r} in {SQL_DIR}")
    return path.read_text()
