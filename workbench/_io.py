"""Small I/O helpers: outputs are written to a temporary file and renamed, never half-written.

An operating-system failure while writing (full disk, read-only folder, no permission) raises
:class:`~workbench.errors.OutputError` naming the path, the reason and the fix; the temporary file
is removed and the earlier file, if any, is left as it was.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from workbench.errors import OutputError

__all__ = [
    "atomic_write_text",
    "atomic_write_bytes",
    "file_sha256",
    "output_error",
    "database_error",
    "is_file",
    "exists",
]

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def output_error(
    path: str | os.PathLike[str],
    exc: OSError,
    what: str = "the output",
    kept: str = "Nothing was replaced: an earlier file there is intact.",
) -> OutputError:
    """An :class:`OutputError` for ``exc`` raised while writing ``path``: the path, the OS reason, the fix."""
    target = Path(path)
    folder = str(target.parent if target.suffix or not target.is_dir() else target)
    code = exc.errno
    reason = exc.strerror or str(exc)
    name = errno.errorcode.get(code, "") if code is not None else ""
    if code in _FULL:
        fix = (
            f"free space on the file system holding {folder!r} (or raise the file-size limit), or write somewhere else."
        )
    elif code == errno.EROFS:
        fix = f"{folder!r} is on a read-only file system: write somewhere else, or remount it read-write."
    elif code in (errno.EACCES, errno.EPERM):
        fix = f"you may not write into {folder!r}: make it writable (chmod u+w), or write somewhere else."
    else:
        fix = f"check {folder!r} (it must be a writable folder), or write somewhere else."
    err = OutputError(
        f"Cannot write {what} {str(target)!r}: {reason}{f' ({name})' if name else ''}.\n  {kept}\n  Fix: {fix}"
    )
    err.errno = code
    return err


#: SQLite's words for "the file system refused" -> the errno they stand for.
_SQLITE_OS = (
    ("disk is full", errno.ENOSPC),
    ("disk i/o error", errno.EIO),
    ("readonly database", errno.EROFS),
    ("unable to open database file", errno.EACCES),
)


def database_error(path: str | os.PathLike[str], exc: BaseException, what: str = "the database") -> OutputError | None:
    """An :class:`OutputError` when a SQLite error ``exc`` on ``path`` is the file system refusing a
    write (full disk, read-only folder, no permission); ``None`` for any other database error.

    SQLite reports these in its own words; the OS reason is read back from the folder (read-only
    mount, write permission) so the message says what the user has to change.
    """
    text = str(getattr(exc, "orig", None) or exc).lower()
    code = next((c for words, c in _SQLITE_OS if words in text), None)
    if code is None:
        return None
    target = Path(path)
    folder = target.parent
    try:
        if os.statvfs(folder).f_bavail == 0:  # SQLite says "disk I/O error" for some writes to a full disk
            code = errno.ENOSPC
    except (OSError, AttributeError):
        pass
    if code in (errno.EROFS, errno.EACCES):
        try:
            readonly_fs = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except (OSError, AttributeError):
            readonly_fs = False
        code = errno.EROFS if readonly_fs else errno.EACCES
        if (
            code == errno.EACCES
            and folder.is_dir()
            and os.access(folder, os.W_OK)
            and (not target.exists() or os.access(target, os.W_OK))
        ):
            return None  # writable after all: some other cause, let the caller report it as is
    oserr = OSError(code, os.strerror(code))
    return output_error(
        target,
        oserr,
        what,
        kept=f"SQLite said: {str(getattr(exc, 'orig', None) or exc)}. "
        "Committed records are intact (SQLite commits are atomic).",
    )


def is_file(path: str | os.PathLike[str]) -> bool:
    """``Path(path).is_file()``, but False instead of an ``OSError`` for a name the system cannot look
    up (too long, a NUL byte): such a file does not exist either."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def exists(path: str | os.PathLike[str]) -> bool:
    """``Path(path).exists()``, False for a name the system cannot look up (see :func:`is_file`)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    Raises :class:`~workbench.errors.OutputError` when the OS refuses (no temporary file is left).
    """
    target = Path(path)
    try:
        return _atomic_write(target, data)
    except OSError as exc:
        raise output_error(target, exc) from None


def _atomic_write(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; outputs (memos, JSON) get the usual umask-governed mode instead
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (provenance of inputs)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
