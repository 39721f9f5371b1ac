"""The readers' limits against hostile input, from the environment (SDP_MAX_LINE_BYTES,
SDP_MAX_COLUMNS). Read here, not in the platform's settings module, because the core runs without
it (sdp scan, the engines' drivers); stdlib only, so the settings module imports it for free."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_COLUMNS = 2048


@dataclass(frozen=True)
class ReadLimits:
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_columns: int = DEFAULT_MAX_COLUMNS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        env = os.environ if environ is None else environ
        return cls(
            max_line_bytes=_positive(env, "SDP_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES),
            max_columns=_positive(env, "SDP_MAX_COLUMNS", DEFAULT_MAX_COLUMNS),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value
