"""``workbench decisions list | show | diff``: read the decision log."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from workbench.cli._app import EXIT_CHECK_FAILED, Format, _fail, _out, _plain, app
from workbench.cli._log import (
    _DEFAULT_LOG,
    DecisionsOption,
    RecordFormat,
    _open_log,
    _resolve_record,
)
from workbench.errors import WorkbenchError
from workbench.format import format_number, format_percent

decisions_app = typer.Typer(help="Read the decision log: list, show, diff.", no_args_is_help=True)
app.add_typer(decisions_app, name="decisions")


@decisions_app.command("list")
def decisions_list(
    decisions: DecisionsOption = _DEFAULT_LOG,
    status: Annotated[str | None, typer.Option(help="Only this status (superseded is computed).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The decisions, newest first."""
    import json

    try:
        with _open_log(decisions) as log:
            records = log.list(status)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        rows = [
            {
                "id": r.id,
                "created": r.created,
                "status": r.status,
                "chosen": r.chosen,
                "title": r.title,
                "supersedes": r.supersedes,
                "model_hash": r.model_hash,
                "data_hash": r.data_hash,
            }
            for r in records
        ]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"Decisions · {len(records)}", title_justify="left")
    for col in ("id", "created (UTC)", "status", "chosen", "title", "supersedes"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(
            *(_plain(v) for v in (r.id[:12], r.created[:19], r.status, r.chosen, r.title, (r.supersedes or "")[:12]))
        )
    _out().print(table)


@decisions_app.command("show")
def decisions_show(
    id: Annotated[
        str,
        typer.Argument(help="Decision id or a unique prefix (>= 4 characters); 'latest' for the newest accepted one."),
    ],
    decisions: DecisionsOption = _DEFAULT_LOG,
    format: Annotated[RecordFormat, typer.Option("--format", "-f", help="text, json or madr.")] = RecordFormat.text,
) -> None:
    """One decision: its outcome, trade-offs, robustness and reopen triggers."""
    try:
        with _open_log(decisions) as log:
            record = _resolve_record(log, id)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is RecordFormat.json:
        sys.stdout.write(record.to_json() + "\n")
        return
    if format is RecordFormat.madr:
        sys.stdout.write(record.to_madr())
        return
    c = _out()
    c.print(f"{record.title}", markup=False)
    c.print(f"  id {record.id} · {record.status} · {record.created}", markup=False)
    c.print(f"  chosen: {record.chosen} (of {len(record.candidates)} candidates)", markup=False)
    if record.decision_makers:
        c.print(f"  decision makers: {', '.join(record.decision_makers)}", markup=False)
    if record.supersedes:
        c.print(f"  supersedes: {record.supersedes}", markup=False)
    if record.rationale:
        c.print(f"  rationale: {record.rationale}", markup=False)
    for t in record.accepted_tradeoffs:
        c.print(f"  trade-off: {t['text']}", markup=False)
    seed = record.robustness.get("seed")
    if seed and seed.get("replicates"):
        counts = ", ".join(f"{k} {v}" for k, v in list(seed["replicates"].items())[:12])
        more = " …" if len(seed["replicates"]) > 12 else ""
        c.print(
            f"  seeds per candidate: {counts}{more} (intervals at {format_percent(seed.get('level'))})", markup=False
        )
    for t in record.robustness.get("text") or []:
        c.print(f"  robustness: {t}", markup=False)
    for t in record.reopen_triggers:
        c.print(f"  reopen when: {t['description']}", markup=False)
    for p in record.pushdown:
        c.print(f"  pushed down: {p.get('kind')} {p.get('target') or p.get('path') or ''}", markup=False)


@decisions_app.command("diff")
def decisions_diff(
    a: Annotated[str, typer.Argument(help="Older decision id (or prefix).")],
    b: Annotated[str, typer.Argument(help="Newer decision id (or prefix), or 'latest'.")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """What changed between two decisions: chosen, weights, constraints, hashes, options."""
    import json

    try:
        with _open_log(decisions) as log:
            d = log.diff(_resolve_record(log, a).id, _resolve_record(log, b).id)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
        return
    c = _out()
    c.print(
        f"{d['a'][:12]} → {d['b'][:12]}: " + (", ".join(d["changed"]) + " changed" if d["changed"] else "no change"),
        markup=False,
    )
    for key in ("chosen", "method", "model_hash", "data_hash"):
        if d[key]["changed"]:
            c.print(_plain(f"  {key}: {d[key]['a']} → {d[key]['b']}", False), markup=False)
    for name, w in d["weights"].items():
        c.print(f"  weight {name}: {format_number(w['a'])} → {format_number(w['b'])}", markup=False)
    for key in ("added", "removed"):
        for text in d["constraints"][key]:
            c.print(f"  constraint {key}: {text}", markup=False)
    for text, lim in d["constraints"]["changed_limits"].items():
        c.print(f"  constraint {text}: limit {format_number(lim['a'])} → {format_number(lim['b'])}", markup=False)
    for key in ("added", "removed"):
        if d["options"][key]:
            c.print(f"  options {key}: {', '.join(d['options'][key])}", markup=False)


@decisions_app.command("verify")
def decisions_verify(
    id: Annotated[str, typer.Argument(help="Decision id or a unique prefix; 'latest' for the newest accepted one.")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    candidates: Annotated[
        str | None, typer.Option(help="Where the data is now (default: where the decision says it came from).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="A quality model YAML to check against the recorded one.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Re-derive a recorded decision: data and model hashes, the analysis re-run with the recorded
    seed and parameters, the choice and the summary digest. Exit 0 verified, 1 something differs
    (said exactly), 2 bad input."""
    import json

    from workbench.decisions.verify import verify_decision

    try:
        with _open_log(decisions) as log:
            record = _resolve_record(log, id)
        result = verify_decision(record, candidates=candidates, model=model)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        _out().print(_plain(str(result), False), markup=False)
    if not result.verified:
        raise typer.Exit(EXIT_CHECK_FAILED)
