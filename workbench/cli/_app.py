"""The ``workbench`` command's shared parts: the Typer app, consoles, exit codes, error and output
handling. Each verb group lives in its own module of this package and registers itself on ``app``.

Exit codes: 0 success; 1 a check failed (reserved for gate/watch/search/review); 2 bad input, with the
reason on stderr.
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from workbench._version import __version__
from workbench.errors import WorkbenchError

app = typer.Typer(
    name="workbench",
    help="MLTradeOps Workbench: explicit, measured, reproducible ML quality trade-offs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Format(str, Enum):
    table = "table"
    json = "json"


def _out() -> Console:
    """stdout console; wide enough for the table when piped to a file or a CI log."""
    console = Console(highlight=False)
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console  # the terminal's width, or COLUMNS when set
    return Console(highlight=False, width=200)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(text: object, markup: bool = True) -> str:
    """Text from data for the console: control characters (terminal escape sequences) shown as
    ``\\x1b``, and, for markup-enabled output, rich markup escaped (``[/]`` is printed, not read)."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return escape(out) if markup else out


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: BaseException) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {type(exc).__name__}: {_plain(exc)}", markup=True, emoji=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _bad_output(path: Path, reason: str) -> typer.Exit:
    _err().print(
        f"[bold red]error:[/] cannot write the output {_plain(repr(str(path)))}: {_plain(reason)}.\n"
        "  Fix: pass a file path (-o FILE) in a folder you can write to.",
        markup=True,
        emoji=False,
    )
    return typer.Exit(EXIT_BAD_INPUT)


def _check_output(path: Path | None) -> None:
    """Reject an output path that cannot be a file before any work is done (or any decision logged)."""
    if path is None:
        return
    p = Path(path)
    try:
        if p.is_dir():
            raise _bad_output(path, "it is a folder")
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise _bad_output(path, f"{str(parent)!r} is a file, not a folder")
                break
    except (OSError, ValueError) as exc:  # a name the system cannot look up (too long, NUL byte)
        raise _bad_output(path, getattr(exc, "strerror", None) or str(exc)) from None


def _write_output(path: Path, text: str) -> Path:
    from workbench._io import atomic_write_text

    try:
        return atomic_write_text(path, text)
    except WorkbenchError as exc:  # OutputError: the OS refused (full disk, read-only, permissions)
        raise _fail(exc) from None
    except OSError as exc:  # anything else about the user's path, not a bug
        raise _bad_output(path, exc.strerror or str(exc)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"workbench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """MLTradeOps Workbench."""


def _fmt(value: float, unit: str | None = None) -> str:
    """Every number the CLI prints goes through :func:`workbench.format.format_number`."""
    from workbench.format import format_number

    return format_number(value, unit)


class _nullcontext:
    """A do-nothing context (the spinner's stand-in when stderr is not a terminal)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
