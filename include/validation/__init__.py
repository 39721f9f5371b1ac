"""Great Expectations validation of a staged output before it is loaded into PostgreSQL.

Importing this package does not import GX (seconds): `build_suite` and `validate_staged` do.
"""

from include.validation.report import ValidationReport
from include.validation.run import validate_staged
from include.validation.suites import build_suite

__all__ = ["ValidationReport", "build_suite", "validate_staged"]
