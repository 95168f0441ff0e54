"""CSV, Parquet and JSON files of candidates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._io import exists, file_sha256
from workbench.errors import CandidatesError, SourceNotFoundError
from workbench.sources.candidates import Candidates, from_frame

__all__ = ["read_file", "FORMATS"]

FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json", ".jsonl": "jsonl"}


def read_file(path: str | os.PathLike[str], **options: Any) -> Candidates:
    """Read candidates from a CSV, TSV, Parquet, JSON (records) or JSON-lines file.

    ``options`` are those of :func:`workbench.sources.from_frame` (``id_column``,
    ``replicate_column``, ``summary``, ``metrics``). The file's SHA-256 is kept as provenance.
    """
    p = Path(path)
    if not exists(p):
        near = sorted(x.name for x in p.parent.glob(f"*{p.suffix}"))[:5] if p.parent.is_dir() else []
        raise SourceNotFoundError(
            f"Candidates file {str(p)!r} does not exist."
            + (f"\n  Files of that type in {str(p.parent)!r}: {', '.join(near)}." if near else "")
        )
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise CandidatesError(
            f"Cannot read {str(p)!r}: unknown file type {p.suffix!r}. Valid: {', '.join(FORMATS)}; "
            "or a source such as 'mlflow:sqlite:///mlflow.db#experiment' or 'optuna:sqlite:///optuna.db#study'."
        )
    try:
        if fmt == "csv":
            df = pd.read_csv(p)
        elif fmt == "tsv":
            df = pd.read_csv(p, sep="\t")
        elif fmt == "parquet":
            df = pd.read_parquet(p)
        elif fmt == "json":
            df = pd.read_json(p, orient="records")
        else:
            df = pd.read_json(p, lines=True)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CandidatesError(f"Cannot read {str(p)!r} as {fmt}: {first}") from None
    except Exception as exc:  # pyarrow raises its own types on corrupt files
        if type(exc).__module__.startswith(("pyarrow", "pandas")):
            raise CandidatesError(f"Cannot read {str(p)!r} as {fmt}: {exc}") from None
        raise
    return from_frame(
        df, source=f"{fmt}:{p}", source_ref={"path": str(p.resolve()), "sha256": file_sha256(p)}, **options
    )
