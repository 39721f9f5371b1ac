"""Uploaded files: a safe name, a size limit, and an atomic write (a temporary name in the target
folder, then a rename), so the landing trigger never sees half a file."""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from pathlib import Path

from compliance.io import FORMAT_OF_SUFFIX

# The extensions compliance.io reads.
ALLOWED_SUFFIXES = tuple(FORMAT_OF_SUFFIX)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME_CHARS = 120


class UploadRejected(ValueError):
    """The upload is refused; the message is safe to show (it never quotes file content)."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


def safe_file_name(name: str | None) -> str:
    """The name to store the upload under. Refuses names that try to leave the target folder
    (separators, `..`, a leading dot, control characters) instead of silently rewriting them;
    other unusual characters become `_`."""
    if not name:
        raise UploadRejected("the upload has no file name")
    if "/" in name or "\\" in name or "\x00" in name or ".." in name:
        raise UploadRejected("file names must not contain path separators or '..'")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UploadRejected("file names must not contain control characters")
    if name.startswith((".", "~", "_")):
        raise UploadRejected("file names must not start with '.', '~' or '_' (hidden or temporary names)")
    normalized = unicodedata.normalize("NFKC", name)
    cleaned = _UNSAFE.sub("_", normalized)[-MAX_NAME_CHARS:].lstrip("._-~")
    if not cleaned.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadRejected(f"only {', '.join(ALLOWED_SUFFIXES)} files can be uploaded")
    if len(cleaned) <= max(len(s) for s in ALLOWED_SUFFIXES if cleaned.lower().endswith(s)):
        raise UploadRejected("the file name is empty once unsafe characters are removed")
    return cleaned


def write_atomically(chunks: Iterable[bytes], directory: Path, name: str, *, max_bytes: int) -> Path:
    """Write `chunks` to directory/name via a hidden temporary file in the same folder and a rename.
    An existing file of that name is never replaced: the new one gets a unique prefix. Raises
    UploadRejected (413) past `max_bytes`, leaving nothing behind."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{uuid.uuid4().hex}.{name}.part"
    written = 0
    try:
        # Raw uploads hold personal data: readable by the platform's user only.
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRejected(
                        f"the file is larger than the upload limit of {max_bytes} bytes", 413
                    )
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if written == 0:
            raise UploadRejected("the file is empty")
        target = directory / name
        # link() fails if the name exists, so a concurrent upload of the same name is never lost.
        for candidate in (target, directory / f"{uuid.uuid4().hex[:8]}-{name}"):
            try:
                os.link(temporary, candidate)
                return candidate
            except FileExistsError:
                continue
        raise UploadRejected("could not find a free file name", 409)
    finally:
        temporary.unlink(missing_ok=True)


def resolve_data_file(data_dir: Path, relative: str) -> Path:
    """A file named relative to the data folder, refusing anything that leaves it (absolute paths,
    `..`, symlinks out) or is not a regular file."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        raise UploadRejected("give a path relative to the data folder")
    if any(part == ".." for part in Path(relative).parts) or any(ch in relative for ch in "*?["):
        raise UploadRejected("the path must name one file inside the data folder")
    root = data_dir.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root):
        raise UploadRejected("the path must name one file inside the data folder")
    if not candidate.is_file():
        raise UploadRejected("no such file in the data folder", 404)
    return candidate
