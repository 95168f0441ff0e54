"""The ``workbench`` command: a thin layer over the engine, with exit codes a scheduler can act on.

Exit codes: 0 success; 1 a check failed (reserved for gate/watch); 2 bad input, with the reason on
stderr.
"""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

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
    return console if console.is_terminal else Console(highlight=False, width=200)


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
    _err().print(f"[bold red]error:[/] cannot write the output {_plain(repr(str(path)))}: {_plain(reason)}.\n"
                 "  Fix: pass a file path (-o FILE) in a folder you can write to.", markup=True, emoji=False)
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
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
) -> None:
    """MLTradeOps Workbench."""


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:.4g}"


def render_table(analysis, console: Console, limit: int = 30) -> None:
    """Print the analysis as a rich table, best rank first."""
    t = analysis.to_frame()
    model = analysis.model
    table = Table(title=f"Trade-off analysis · {analysis.method} · {len(t)} candidates", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("candidate", overflow="fold")
    table.add_column("feasible", justify="center")
    table.add_column("front", justify="right")
    table.add_column("score", justify="right")
    table.add_column("knee", justify="center")
    has_smaa = "acceptability" in t.columns
    if has_smaa:
        table.add_column("P(first)", justify="right")
    for o in model.objectives:
        table.add_column(_plain(f"{o.name} {o.arrow}") + (f"\n{_plain(f'[{o.unit}]')}" if o.unit else ""),
                         justify="right")
    for cid, row in t.head(limit).iterrows():
        cells = [str(row["rank"]), _plain(cid), "✓" if row["feasible"] else "[red]✗[/]", str(row["front"]),
                 _fmt(row["score"]), "★" if row["knee"] else ""]
        if has_smaa:
            cells.append(_fmt(row["acceptability"]))
        cells += [_fmt(row[o.name]) for o in model.objectives]
        style = "bold" if row["rank"] == 1 and row["feasible"] else None
        table.add_row(*cells, style=style)
    console.print(table)
    if len(t) > limit:
        console.print(f"… {len(t) - limit} more candidates (use --format json or -o FILE for all).")
    rec = analysis.recommended
    console.print(f"Recommended: [bold]{_plain(rec)}[/]" if rec else "[red]No feasible candidate.[/]")
    console.print(f"Front: {len(analysis.front)} candidates · hypervolume {analysis.hypervolume:.4g} "
                  f"(normalised, reference 1.1)")
    excl = analysis.candidates.exclusions
    if len(excl):
        console.print(f"Excluded {len(excl)} rows:")
        for _, r in excl.head(10).iterrows():
            console.print(f"  - {_plain(r['candidate'], False)}: {_plain(r['reason'], False)}", markup=False)
        if len(excl) > 10:
            console.print(f"  … and {len(excl) - 10} more (see the JSON's 'exclusions').")
    for note in analysis.notes:
        console.print(f"Note: {_plain(note, False)}", markup=False)


def run_analysis(candidates: str, model_path: Path, *, method: str | None, champion: str | None,
                 smaa: int, seed: int, stakeholder: str | None, id_column: str | None,
                 replicates: str | None, emissions: Path | None):
    import workbench as wb

    qm = wb.QualityModel.from_yaml(model_path)
    options = {}
    if id_column:
        options["id_column"] = id_column
    if replicates:
        options["replicate_column"] = replicates
    if emissions:
        options["emissions"] = emissions
    cands = wb.load(candidates, model=qm, **options)
    console = _err()
    with console.status("Analysing…", spinner="dots") if console.is_terminal else _nullcontext():
        return wb.analyze(cands, qm, method=method, champion=champion, smaa=smaa, seed=seed,
                          weights=stakeholder)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command()
def analyze(
    candidates: Annotated[str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' "
                                              "or 'optuna:<storage>#<study>'.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    method: Annotated[Optional[str], typer.Option(help="weighted_sum, tchebycheff, asf or topsis "
                                                  "(default: the model's).")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Candidate id of the champion "
                                                    "(baseline of relative constraints).")] = None,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples (0 = skip).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
    stakeholder: Annotated[Optional[str], typer.Option(help="Use this stakeholder's weights.")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", help="Column with candidate ids.")] = None,
    replicates: Annotated[Optional[str], typer.Option(help="Column telling per-seed replicates apart.")] = None,
    emissions: Annotated[Optional[Path], typer.Option(help="CodeCarbon emissions.csv to join.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the JSON here.")] = None,
) -> None:
    """Analyse candidates under a quality model: feasibility, fronts, ranks, knees, robustness."""
    _check_output(output)
    try:
        result = run_analysis(candidates, model, method=method, champion=champion, smaa=smaa, seed=seed,
                              stakeholder=stakeholder, id_column=id_column, replicates=replicates,
                              emissions=emissions)
        if output is not None:
            _write_output(output, result.to_json())
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        if output is None:
            sys.stdout.write(result.to_json() + "\n")
        else:
            _err().print(f"Wrote {output}", markup=False)
    else:
        console = _out()
        render_table(result, console)
        if output is not None:
            console.print(f"JSON: {output}", markup=False)


# --- review (workbench.reports) -------------------------------------------------------------------

def _review_params(extra: list[str], files: list[Path]) -> dict:
    """``-f params.yaml`` files (in order), then ``-p KEY VALUE`` pairs (values parsed as YAML, like
    papermill's ``-p``); later ones win."""
    import yaml

    params: dict = {}
    for f in files:
        try:
            data = yaml.safe_load(Path(f).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"cannot read parameters file {str(f)!r}: {exc}") from None
        if not isinstance(data, dict):
            raise typer.BadParameter(f"parameters file {str(f)!r} must hold a mapping of names to values.")
        params.update(data)
    i = 0
    while i < len(extra):
        token = extra[i]
        if token not in ("-p", "--param"):
            raise typer.BadParameter(f"unexpected argument {token!r}; parameters are given as "
                                     "-p KEY VALUE (or --param KEY VALUE).")
        if i + 2 >= len(extra):
            raise typer.BadParameter(f"{token} needs a KEY and a VALUE: -p KEY VALUE.")
        key, raw = extra[i + 1], extra[i + 2]
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        params[key] = value
        i += 3
    return params


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def review(
    ctx: typer.Context,
    template: Annotated[str, typer.Argument(help="A shipped template (trade_off_review) or a notebook path.")],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder of the review's outputs.")] = Path("review-output"),
    param_file: Annotated[Optional[list[Path]], typer.Option("--parameters-file", "-f",
                                                              help="YAML file of parameters (repeatable).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run a review template: -p KEY VALUE (repeatable) sets a parameter. Writes review.ipynb,
    memo.html, summary.json and decision.md into OUTDIR. Exit 1 when the review fails, 2 for bad
    parameters (the message lists the accepted ones)."""
    from workbench.reports import ParameterError, ReviewError, ReviewFailed, run_review

    try:
        params = _review_params(list(ctx.args), list(param_file or []))
    except typer.BadParameter as exc:
        _err().print(f"[bold red]error:[/] {_plain(exc)}", markup=True, emoji=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        result = run_review(template, params, output_dir, progress=progress and _err().is_terminal)
    except ReviewFailed as exc:
        _err().print(f"[bold red]review failed:[/] {_plain(exc)}", markup=True, emoji=False,
                     highlight=False)
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    except (ParameterError, ReviewError, WorkbenchError) as exc:
        raise _fail(exc) from None
    for note in result.recovered:
        _err().print(note, markup=False)
    console = _out()
    chosen = result.summary["decision"]["chosen"]
    console.print(f"Decision: [bold]{_plain(chosen)}[/]" if chosen
                  else "[red]No feasible candidate: no decision.[/]")
    console.print(f"Memo: {result.memo.resolve()}", markup=False)
    console.print(f"Summary: {result.summary_path.resolve()}", markup=False)
    console.print(f"Decision record: {result.decision.resolve()}", markup=False)
    console.print(f"Notebook: {result.notebook.resolve()}", markup=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the example store and outputs.")] = Path("demo-output"),
    quick: Annotated[bool, typer.Option(help="A smaller grid (seconds instead of a minute).")] = False,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples.", min=0)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
) -> None:
    """The full cycle on the embedded example: build the experiment store (real scikit-learn runs in
    a local MLflow store), analyse it, run the trade_off_review (memo, summary, MADR record) and record
    the decision in OUT/decisions.db."""
    from workbench.example import build_example

    console = _out()
    try:
        console.print(f"Building the example experiment store in {out}/ …")
        store = build_example(out, quick=quick, seed=seed, progress=console.is_terminal)
        console.print(f"MLflow store: {store.tracking_uri} (experiment {store.experiment!r}, {store.n_runs} runs)")
        result = run_analysis(store.source, Path(store.quality_model_path), method=None, champion=None,
                              smaa=smaa, seed=seed, stakeholder=None, id_column=None, replicates=None,
                              emissions=store.emissions_csv)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    from workbench._io import atomic_write_text

    json_path = atomic_write_text(Path(out) / "analysis.json", result.to_json())
    render_table(result, console)
    console.print()
    console.print(f"Quality model: {store.quality_model_path}")
    console.print(f"Analysis JSON: [bold]{json_path.resolve()}[/]")

    # The review: memo, summary, decision record; then the decision log.
    try:
        from workbench.reports import ReviewFailed, run_review
    except ImportError as exc:  # the reports extra is missing
        console.print(f"Review skipped: {exc} (pip install \"mltradeops-workbench[reports]\").", markup=False)
        return
    params = {"candidates": store.source, "quality_model": str(store.quality_model_path),
              "emissions": str(store.emissions_csv or ""), "smaa_samples": smaa, "seed": seed,
              "title": "Which breast-cancer classifier should the screening aid ship?",
              "decision_makers": "ML lead, clinical lead", "stakeholders": "model, clinical, operations, sustainability"}
    console.print("Running the trade_off_review …")
    try:
        review_ = run_review("trade_off_review", params, Path(out) / "review",
                             progress=_err().is_terminal)
    except ReviewFailed as exc:
        _err().print(f"review failed: {exc}", markup=False)
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    except WorkbenchError as exc:
        raise _fail(exc) from None
    log_path = (Path(out) / "decisions.db").resolve()
    try:
        from workbench.decisions import DecisionLog, DecisionRecord

        log = DecisionLog(log_path)
        try:
            previous = log.latest()
            record = DecisionRecord.from_summary(review_.summary,
                                                 supersedes=previous.id if previous is not None else None)
            record = log.append(record)
        finally:
            log.close()
        from workbench._io import atomic_write_bytes
        from workbench.reports.runner import stamp_output

        # the MADR file of the logged record, still carrying the review's set id
        atomic_write_bytes(review_.decision, stamp_output("decision.md", record.to_madr().encode(), review_.set_id))
        logged = f"{record.id} in {log_path}"
    except (ImportError, WorkbenchError) as exc:
        logged = f"not logged ({exc})"
    console.print(f"Decision: {review_.summary['decision']['chosen']}", markup=False)
    console.print(f"Memo: {review_.memo.resolve()}", markup=False)
    console.print(f"Decision record: {review_.decision.resolve()}", markup=False)
    console.print(f"Decision log: {logged}", markup=False)
    _demo_monitoring(store, review_.summary["decision"]["chosen"], log_path, Path(out), console, seed)


def _demo_monitoring(store, chosen: str, log_path: Path, out: Path, console: Console, seed: int) -> None:
    """The monitoring leg of the demo: serve the chosen model and two others under simulated traffic
    (one degrading), then watch the logs against the recorded decision."""
    from workbench.example.serving import DEFAULT_VERSIONS, live_quality_yaml, simulate_serving

    others = [v for v in DEFAULT_VERSIONS if v != chosen]
    versions = (chosen, *others[:2])
    degrade = "rf-30-d4" if "rf-30-d4" in versions[1:] else versions[-1]
    console.print(f"Serving {', '.join(versions)} under simulated traffic ({degrade} degrades) …")
    try:
        logs = simulate_serving(store, versions=versions, degrade=degrade, seed=seed)
    except WorkbenchError as exc:
        console.print(f"Monitoring skipped: {exc}", markup=False)
        return
    triggers = (out / "triggers.json").resolve()
    try:
        watch([str(logs)], model=live_quality_yaml(), decisions=str(log_path), champion=None, offline=None,
              since=None, window="6h", engine="duckdb", smaa=2000, acceptability=0.5, hypervolume=0.1,
              output=triggers)
        due = False
    except typer.Exit as exc:
        if exc.exit_code not in (EXIT_OK, EXIT_CHECK_FAILED):
            console.print("Monitoring check could not run (see the message above).", markup=False)
            return
        due = exc.exit_code == EXIT_CHECK_FAILED
    console.print(f"Production logs: {Path(logs).resolve()}", markup=False)
    console.print(f"Triggers: {triggers} ({'review due' if due else 'no review due'})", markup=False)


# --- decisions: decide, decisions list|show|diff, gate, export (workbench.decisions) ----------------

DecisionsOption = Annotated[str, typer.Option("--decisions", "-d", envvar="WORKBENCH_DECISIONS",
                                              help="Decision log: a SQLAlchemy URL or a SQLite file path.")]
_DEFAULT_LOG = "sqlite:///decisions.db"


class RecordFormat(str, Enum):
    text = "text"
    json = "json"
    madr = "madr"


def _open_log(url: str):
    """The decision log at ``url``; says on stderr when it could only be opened read-only (an
    archived copy), so the output a script parses stays the same."""
    from workbench.decisions import DecisionLog

    log = DecisionLog(url)
    if log.read_only_reason:
        _err().print(_plain(f"note: the decision log is open read-only ({log.read_only_reason})."))
    return log


def _read_json_file(path: Path, what: str) -> dict:
    import json

    from workbench._io import is_file
    from workbench.errors import DecisionError, SourceNotFoundError

    if not is_file(path):
        raise SourceNotFoundError(f"{what} {str(path)!r} does not exist.\n"
                                  "  Fix: pass the summary.json of `workbench review` or the JSON of "
                                  "`workbench analyze --format json -o analysis.json`.")
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DecisionError(f"{what} {str(path)!r} is not valid JSON: {exc}") from None


@app.command()
def decide(
    summary: Annotated[Path, typer.Argument(help="A review's summary.json, or an analysis JSON "
                                            "(workbench analyze --format json -o FILE).")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    chosen: Annotated[Optional[str], typer.Option(help="Chosen candidate id (default: the review's "
                                                  "decision, else the recommended one).")] = None,
    rationale: Annotated[Optional[str], typer.Option(help="Why, in the decision makers' words.")] = None,
    decision_maker: Annotated[Optional[list[str]], typer.Option("--decision-maker",
                                                                help="A decision maker (repeatable).")] = None,
    consulted: Annotated[Optional[list[str]], typer.Option(help="Consulted (repeatable).")] = None,
    informed: Annotated[Optional[list[str]], typer.Option(help="Informed (repeatable).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Title of the decision.")] = None,
    status: Annotated[Optional[str], typer.Option(help="accepted (default) or proposed.")] = None,
    supersedes: Annotated[Optional[str], typer.Option(help="Id (or unique prefix) of the decision this "
                                                      "one replaces.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the MADR "
                                                   "Markdown here.")] = None,
) -> None:
    """Record a decision in the append-only decision log; prints its id (and the MADR path with -o)."""
    from workbench.decisions import DecisionRecord

    _check_output(output)
    try:
        data = _read_json_file(summary, "Summary file")
        record = DecisionRecord.from_summary(
            data, chosen=chosen, rationale=rationale, decision_makers=decision_maker or None,
            consulted=consulted or None, informed=informed or None, title=title, status=status,
            supersedes=supersedes, provenance={"summary_file": str(summary)})
        with _open_log(decisions) as log:
            record = log.append(record)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    console = _out()
    console.print(f"Decision {record.id} recorded: chosen {record.chosen!r} ({record.status})", markup=False)
    if record.supersedes:
        console.print(f"Supersedes {record.supersedes}", markup=False)
    if output is not None:
        try:  # the record is in the log whatever happens here; say so rather than invite a second one
            _write_output(output, record.to_madr())
        except typer.Exit:
            _err().print(f"The decision {record.id} is recorded, but its MADR file was not written.",
                         markup=False)
            raise
        console.print(f"MADR: {output.resolve()}", markup=False)


decisions_app = typer.Typer(help="Read the decision log: list, show, diff.", no_args_is_help=True)
app.add_typer(decisions_app, name="decisions")


@decisions_app.command("list")
def decisions_list(
    decisions: DecisionsOption = _DEFAULT_LOG,
    status: Annotated[Optional[str], typer.Option(help="Only this status (superseded is computed).")] = None,
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
        rows = [{"id": r.id, "created": r.created, "status": r.status, "chosen": r.chosen, "title": r.title,
                 "supersedes": r.supersedes, "model_hash": r.model_hash, "data_hash": r.data_hash}
                for r in records]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"Decisions · {len(records)}", title_justify="left")
    for col in ("id", "created (UTC)", "status", "chosen", "title", "supersedes"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(*(_plain(v) for v in (r.id[:12], r.created[:19], r.status, r.chosen, r.title,
                                             (r.supersedes or "")[:12])))
    _out().print(table)


@decisions_app.command("show")
def decisions_show(
    id: Annotated[str, typer.Argument(help="Decision id or a unique prefix (>= 4 characters); "
                                      "'latest' for the newest accepted one.")],
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
    for t in record.robustness.get("text") or []:
        c.print(f"  robustness: {t}", markup=False)
    for t in record.reopen_triggers:
        c.print(f"  reopen when: {t['description']}", markup=False)
    for p in record.pushdown:
        c.print(f"  pushed down: {p.get('kind')} {p.get('target') or p.get('path') or ''}", markup=False)


def _resolve_record(log, id: str | None):
    from workbench.errors import UnknownDecisionError

    if id in (None, "", "latest"):
        record = log.latest()
        if record is None:
            raise UnknownDecisionError(f"The decision log {log.url!r} has no accepted decision.\n"
                                       "  Fix: record one with `workbench decide SUMMARY_JSON`.")
        return record
    return log.get(id)


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
    c.print(f"{d['a'][:12]} → {d['b'][:12]}: " + (", ".join(d["changed"]) + " changed" if d["changed"]
                                                  else "no change"), markup=False)
    for key in ("chosen", "method", "model_hash", "data_hash"):
        if d[key]["changed"]:
            c.print(_plain(f"  {key}: {d[key]['a']} → {d[key]['b']}", False), markup=False)
    for name, w in d["weights"].items():
        c.print(f"  weight {name}: {w['a']} → {w['b']}", markup=False)
    for key in ("added", "removed"):
        for text in d["constraints"][key]:
            c.print(f"  constraint {key}: {text}", markup=False)
    for text, lim in d["constraints"]["changed_limits"].items():
        c.print(f"  constraint {text}: limit {lim['a']} → {lim['b']}", markup=False)
    for key in ("added", "removed"):
        if d["options"][key]:
            c.print(f"  options {key}: {', '.join(d['options'][key])}", markup=False)


@app.command()
def gate(
    candidates: Annotated[str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' "
                                              "or 'optuna:<storage>#<study>'.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="Id of the candidate under test.")],
    against: Annotated[Optional[str], typer.Option(help="Baseline: 'champion' or a candidate id. Without "
                                                   "it, any feasible candidate may dominate.")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Champion id (for --against champion and "
                                                    "relative constraints).")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", help="Column with candidate ids.")] = None,
) -> None:
    """CI gate: exit 0 when the candidate meets every hard constraint and is not dominated beyond
    tolerance (by the baseline, or by any feasible candidate); exit 1 with the reasons on stderr;
    exit 2 for bad input."""
    import workbench as wb
    from workbench.decisions.pushdown import gate as _gate

    try:
        qm = wb.QualityModel.from_yaml(model)
        cands = wb.load(candidates, model=qm, **({"id_column": id_column} if id_column else {}))
        result = _gate(cands, qm, candidate, against=against, champion=champion)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if result.passed:
        _out().print(_plain(f"gate passed: {result.candidate}"
                            + (f" (against {result.against})" if result.against else ""), False), markup=False)
        return
    err = _err()
    err.print(_plain(f"gate failed: {result.candidate}"
                     + (f" (against {result.against})" if result.against else ""), False), markup=False)
    for reason in result.reasons:
        err.print(_plain(f"  - {reason}", False), markup=False)
    raise typer.Exit(EXIT_CHECK_FAILED)


# --- search (workbench.search) ---------------------------------------------------------------------

def _guide(text: str | None):
    """``weights`` or ``name=value,name=value`` -> the search's guide."""
    if text is None or text == "weights":
        return text
    point = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            point[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            from workbench.errors import SearchError

            raise SearchError(f"--guide {text!r}: expected 'weights' or 'objective=value,objective=value', "
                              f"e.g. --guide recall=0.97,latency_p95_ms=2.")
    return point


def _initial(path: Path | None) -> list:
    if path is None:
        return []
    import yaml

    from workbench.errors import SearchError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SearchError(f"Cannot read the initial configurations {str(path)!r}: {exc}") from None
    if isinstance(data, dict) and "configurations" in data:
        data = data["configurations"]
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise SearchError(f"{str(path)!r} must hold a list of configurations (mappings of parameter to value), "
                          "or 'configurations: [...]'.")
    return data


def _set_aside(record: Path) -> Path | None:
    """--fresh: keep the old record under a dated name instead of deleting it."""
    if not record.exists():
        return None
    import time

    kept = record.with_name(f"{record.stem}.{time.strftime('%Y%m%dT%H%M%S')}{record.suffix}")
    for suffix in ("", "-wal", "-shm"):
        side = Path(str(record) + suffix)
        if side.exists():
            side.rename(Path(str(kept) + suffix))
    return kept


@app.command()
def search(
    space: Annotated[Path, typer.Argument(help="Configuration space YAML (parameters, conditions).")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    evaluate: Annotated[str, typer.Option("--evaluate", "-e", help="Evaluation function: 'module:function' "
                                          "or 'path/to/file.py:function'.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder: evaluations.parquet, "
                                         "front.parquet/.csv, search.json and the record evaluations.sqlite.")],
    budget: Annotated[int, typer.Option(help="Maximum number of evaluations.", min=1)] = 200,
    workers: Annotated[int, typer.Option(help="Evaluate on this many local Dask worker processes.", min=1)] = 1,
    scheduler: Annotated[Optional[str], typer.Option(help="Evaluate on this Dask scheduler "
                                                     "(e.g. tcp://10.0.0.5:8786).")] = None,
    seed: Annotated[int, typer.Option(help="Seed: same inputs and seed, same search.")] = 0,
    pop_size: Annotated[Optional[int], typer.Option(help="Population size (default: from the budget).",
                                                    min=2)] = None,
    guide: Annotated[Optional[str], typer.Option(help="Focus: 'weights' (the model's) or a reference point "
                                                 "'objective=value,...'.")] = None,
    initial: Annotated[Optional[Path], typer.Option(help="YAML/JSON list of configurations to start from.")] = None,
    baseline: Annotated[Optional[str], typer.Option(help="Candidates that relative constraints refer to "
                                                    "(file or source spec).")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Champion id in --baseline.")] = None,
    mlflow: Annotated[Optional[str], typer.Option(help="Record in MLflow: 'TRACKING_URI#EXPERIMENT'.")] = None,
    stall_generations: Annotated[int, typer.Option(help="Stop when the hypervolume stalls this many "
                                                   "generations (0 = never).", min=0)] = 10,
    stall_tol: Annotated[float, typer.Option(help="Relative hypervolume growth that counts as progress.",
                                             min=0.0)] = 1e-3,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Re-evaluate recorded failures.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new record (the old one is kept aside).")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Search a configuration space for new candidates with pymoo (NSGA-II/III, R-NSGA when guided).

    Every evaluation is recorded as it finishes; rerunning the same command resumes an interrupted
    search without evaluating anything twice. Exit 0 with a feasible front, 1 when nothing
    feasible was found, 2 for bad input.
    """
    import os

    import workbench as wb
    from workbench.search import search as _search

    if os.getcwd() not in sys.path:  # 'module:function' from the current folder, like python -m
        sys.path.insert(0, os.getcwd())
    err = _err()
    try:
        qm = wb.QualityModel.from_yaml(model)
        base = wb.load(baseline, model=qm) if baseline else None
        kept = _set_aside(output / "evaluations.sqlite") if fresh and not mlflow else None
        if kept is not None:
            err.print(f"Previous record kept as {kept}", markup=False)
        result = _search(space, qm, evaluate, budget=budget, seed=seed, pop_size=pop_size, guide=_guide(guide),
                         initial=_initial(initial), baseline=base, champion=champion, outdir=output, mlflow=mlflow,
                         workers=workers, scheduler=scheduler, stall_generations=stall_generations,
                         stall_tol=stall_tol, retry_failed=retry_failed, progress=progress and err.is_terminal)
        paths = result.save(output)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print(f"Interrupted. Every finished evaluation is recorded in {output / 'evaluations.sqlite'}"
                  " (or the MLflow experiment); rerun the same command to resume.", markup=False)
        raise typer.Exit(130) from None
    out = _out()
    ev = result.evaluations
    ok = int((ev["status"] == "ok").sum())
    out.print(f"{result.settings['algorithm']}: {len(ev)} evaluations ({result.calls} run now, "
              f"{result.reused} from the record), {ok} ok, {len(ev) - ok} failed; stopped: {result.stopped}.",
              markup=False)
    front = result.front
    if front.empty:
        err.print("No feasible candidate was found: every evaluation failed or violates a hard constraint.",
                  markup=False)
        if result.analysis is not None:
            worst = result.analysis.table.sort_values("violation").head(3)
            err.print("Closest: " + ", ".join(f"{i} (violation {v:.3g})" for i, v in worst["violation"].items()),
                      markup=False)
    else:
        table = Table(title=f"Front: {len(front)} candidates", show_lines=False)
        table.add_column("candidate")
        table.add_column("configuration", overflow="fold")
        for name in qm.names:
            table.add_column(_plain(name), justify="right")
        rank = result.analysis.table["rank"]
        for _, row in front.assign(_rank=front["candidate"].map(rank)).sort_values("_rank").head(20).iterrows():
            config = result.configurations.get(row["candidate"], {})
            text = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())
            table.add_row(_plain(row["candidate"]), _plain(text), *[_fmt(row[n]) for n in qm.names])
        out.print(table)
    for name in ("evaluations.parquet", "front.parquet", "search.json"):
        out.print(f"{name}: {paths[name]}", markup=False)
    if front.empty:
        raise typer.Exit(EXIT_CHECK_FAILED)


export_app = typer.Typer(help="Push-down artefacts from a decision: prometheus, madr, optuna, mlflow.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")

DecisionIdOption = Annotated[Optional[str], typer.Option("--decision", help="Decision id or prefix "
                                                         "(default: the latest accepted decision).")]
ExportOutput = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (default: stdout).")]


def _emit(text: str, output: Path | None, log=None, record=None, kind: str = "") -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    _write_output(output, text)
    if log is not None and record is not None:
        log.add_pushdown(record.id, {"kind": kind, "path": str(Path(output).resolve())})
    _err().print(f"Wrote {output}", markup=False)


def _export(decisions: str, decision: str | None, model: Path | None, output: Path | None, kind: str,
            render) -> None:
    import workbench as wb

    _check_output(output)
    try:
        if model is not None and decision is None:
            _emit(render(wb.QualityModel.from_yaml(model)), output)
            return
        with _open_log(decisions) as log:
            record = _resolve_record(log, decision)
            _emit(render(record), output, log, record, kind)
    except WorkbenchError as exc:
        raise _fail(exc) from None


@export_app.command("prometheus")
def export_prometheus(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="Use a quality model instead of a "
                                                  "decision (absolute constraints only).")] = None,
    metric_map: Annotated[Optional[Path], typer.Option(help="YAML: objective -> metric name or {metric, "
                                                       "scale, selector, expr}.")] = None,
    for_: Annotated[str, typer.Option("--for", help="Alert 'for' duration.")] = "10m",
    label: Annotated[Optional[list[str]], typer.Option(help="Extra label KEY=VALUE (repeatable).")] = None,
    output: ExportOutput = None,
) -> None:
    """Prometheus alerting rules (YAML) from the constraints on monitored metrics."""
    import yaml

    from workbench.decisions.pushdown import prometheus_rules

    labels = {}
    for item in label or []:
        if "=" not in item:
            raise _fail(ValueError(f"--label {item!r} must be KEY=VALUE."))
        k, v = item.split("=", 1)
        labels[k.strip()] = v
    mapping = None
    if metric_map is not None:
        try:
            mapping = yaml.safe_load(Path(metric_map).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _fail(ValueError(f"cannot read --metric-map {str(metric_map)!r}: {exc}")) from None
        if not isinstance(mapping, dict):
            raise _fail(ValueError(f"--metric-map {str(metric_map)!r} must hold a mapping of objective names to "
                                   f"metrics, got {mapping!r:.60}.\n  Fix: one line per objective, e.g. "
                                   "'latency_ms: http_request_duration_ms'."))
    _export(decisions, decision, model, output, "prometheus_rules",
            lambda src: prometheus_rules(src, metric_map=mapping, for_=for_, labels=labels))


@export_app.command("madr")
def export_madr(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    output: ExportOutput = None,
) -> None:
    """The decision as MADR 4.0 Markdown."""
    _export(decisions, decision, None, output, "madr", lambda rec: rec.to_madr())


@export_app.command("optuna")
def export_optuna(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="Use a quality model instead of a "
                                                  "decision.")] = None,
    output: ExportOutput = None,
) -> None:
    """Optuna directions, metric names and constraints (JSON) for the next search."""
    import json

    from workbench.decisions.pushdown import optuna_directions

    _export(decisions, decision, model, output, "optuna_directions",
            lambda src: json.dumps(optuna_directions(src), indent=2, ensure_ascii=False) + "\n")


@export_app.command("mlflow")
def export_mlflow(
    tracking_uri: Annotated[str, typer.Option(help="MLflow tracking (and registry) URI.")],
    model_name: Annotated[str, typer.Option(help="Registered model name.")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    alias: Annotated[str, typer.Option(help="Alias to set on the chosen version.")] = "champion",
    version: Annotated[Optional[str], typer.Option(help="Model version (default: the version "
                                                  "registered from the chosen candidate's runs).")] = None,
) -> None:
    """Set a registered-model alias on the chosen model version and tag it with the decision."""
    from workbench.decisions.pushdown import mlflow_alias

    try:
        with _open_log(decisions) as log:
            record = _resolve_record(log, decision)
            artefact = mlflow_alias(record, tracking_uri, model_name, alias=alias, version=version)
            log.add_pushdown(record.id, artefact)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    _out().print(f"{artefact['target']} → version {artefact['version']} (decision {record.id[:12]})",
                 markup=False)


# --- watch: monitoring triggers (workbench.monitoring) ---------------------------------------------

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


@app.command()
def watch(
    logs: Annotated[list[str], typer.Argument(help="Request logs: Parquet or CSV files, folders or globs "
                                              "(canonical schema: timestamp, version, latency_ms, error, ...).")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file (objectives with "
                                        "source/aggregation, constraints as SLOs).")],
    decisions: Annotated[Optional[str], typer.Option("--decisions", "-d", envvar="WORKBENCH_DECISIONS",
                                                     help="Decision log (SQLAlchemy URL or SQLite path): also "
                                                     "check its latest accepted decision.")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Champion's version id (default: the decision's "
                                                    "chosen candidate).")] = None,
    offline: Annotated[Optional[str], typer.Option(help="Offline candidates (file or source spec) that may "
                                                   "dominate the champion.")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only requests at or after this time (UTC if naive).")] = None,
    window: Annotated[str, typer.Option(help="Window length: 15min, 1h, 1d...")] = "1h",
    engine: Annotated[str, typer.Option(help="Aggregation engine: duckdb, dask or pandas.")] = "duckdb",
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples for the acceptability check.")] = 2000,
    acceptability: Annotated[float, typer.Option(help="Trigger when the champion's first-rank "
                                                 "acceptability falls below this.")] = 0.5,
    hypervolume: Annotated[float, typer.Option(help="Trigger when the live front's hypervolume changes by "
                                               "more than this (relative).")] = 0.1,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the triggers as JSON "
                                                   "(atomically).")] = None,
) -> None:
    """Check live versions against the SLOs and the latest decision; for cron or Airflow.

    Exit 0: no review due (no trigger, or only informational ones); 1: a review is due (a warning or
    critical trigger); 2: bad input, or the check could not be evaluated.
    """
    import json
    from datetime import UTC, datetime

    import workbench as wb
    from workbench._io import atomic_write_text, file_sha256
    from workbench.analysis.analyze import to_jsonable
    from workbench.monitoring.aggregate import _resolve_files, aggregate
    from workbench.monitoring.schema import MonitoringError
    from workbench.monitoring.slo import _compliance, _frame, slo_summary
    from workbench.monitoring.triggers import Thresholds, detect, review_due

    err = _err()
    try:
        if smaa < 1 or not 0 <= acceptability <= 1 or hypervolume < 0:
            raise MonitoringError(f"--smaa must be >= 1 (got {smaa}), --acceptability in [0, 1] "
                                  f"(got {acceptability:g}) and --hypervolume >= 0 (got {hypervolume:g}).")
        qm = wb.QualityModel.from_yaml(model)
        files, _ = _resolve_files(list(logs))
        agg = aggregate(list(logs), qm, window=window, since=since, engine=engine)
        if agg.empty:
            raise MonitoringError(f"The request logs have no request{f' since {since}' if since else ''}; "
                                  "nothing to check.\n  Fix: check the files and --since.")
        record = None
        if decisions is not None:
            with _open_log(decisions) as log:
                record = log.latest()
            if record is None:
                err.print(f"The decision log {decisions!r} has no accepted decision: checking the constraints "
                          "only.", markup=False)
        cands = wb.load(offline, model=qm) if offline is not None else None
        thresholds = Thresholds(acceptability=acceptability, hypervolume=hypervolume, smaa_samples=smaa)
        triggers = detect(agg, qm, decision=record, offline=cands, champion=champion, thresholds=thresholds)
        champ = champion or (record.chosen if record is not None else None)
        summary = slo_summary(_compliance(_frame(agg), qm, champ, strict=False))
    except WorkbenchError as exc:
        raise _fail(exc) from None
    except Exception as exc:  # a crash must not exit 1, which a scheduler reads as "review due"
        err.print(f"error: could not evaluate the monitoring data: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    due = review_due(triggers)
    console = _out()
    latest, first = agg["window_start"].max(), agg["window_start"].min()
    n_versions = agg["version"].nunique()
    console.print(f"Watched {n_versions} versions over {agg['window_start'].nunique()} windows of {window} "
                  f"({first:%Y-%m-%d %H:%M} to {agg['window_end'].max():%Y-%m-%d %H:%M} UTC)"
                  + (f"; decision {record.id[:12]} chose {record.chosen}" if record is not None else "")
                  + (f"; champion {champ}" if champ else "; no decision or champion: constraints only"),
                  markup=False)
    if triggers:
        table = Table(title=f"Triggers · latest window {latest:%Y-%m-%d %H:%M} UTC", title_justify="left")
        for col in ("severity", "kind", "version", "objective", "value", "threshold"):
            table.add_column(col, justify="right" if col in ("value", "threshold") else "left")
        table.add_column("message", overflow="fold")
        for t in triggers:
            table.add_row(t.severity, t.kind, _plain(t.version or ""), _plain(t.objective or ""),
                          "" if t.value is None else _fmt(t.value),
                          "" if t.threshold is None else _fmt(t.threshold), _plain(t.message),
                          style=_SEVERITY_STYLE[t.severity])
        console.print(table)
    console.print("review due" if due else ("no trigger: no review due" if not triggers else
                                            "only informational triggers: no review due"), markup=False)
    if output is not None:
        payload = {
            "review_due": due,
            "n_triggers": len(triggers),
            "triggers": [t.to_dict() for t in triggers],
            "slo": summary.to_dict(orient="records"),
            "provenance": {
                "workbench_version": __version__,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "model_file": str(model), "model_hash": qm.hash,
                "logs": list(logs),
                "log_files": [{"path": f, "sha256": file_sha256(f)} for f in files],
                "window": window, "since": since, "engine": engine,
                "windows": {"first": first, "latest": latest, "end": agg["window_end"].max()},
                "versions": sorted(agg["version"].unique()),
                "decision": None if record is None else {"id": record.id, "chosen": record.chosen,
                                                         "created": record.created},
                "decisions_url": decisions, "champion": champ, "offline": offline,
                "thresholds": {"acceptability": acceptability, "hypervolume": hypervolume, "smaa": smaa,
                               "conflict": thresholds.conflict, "seed": 0},
            },
        }
        try:  # exit 2, never 1: a scheduler reads 1 as "review due"
            atomic_write_text(output, json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False,
                                                 allow_nan=False) + "\n")
        except WorkbenchError as exc:
            raise _fail(exc) from None
        err.print(f"Wrote {output}", markup=False)
    if due:
        raise typer.Exit(EXIT_CHECK_FAILED)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
