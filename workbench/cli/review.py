"""``workbench review``: run a review template (papermill) into a memo, a summary and a MADR record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, _err, _fail, _out, _plain, app
from workbench.errors import WorkbenchError


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
            raise typer.BadParameter(
                f"unexpected argument {token!r}; parameters are given as -p KEY VALUE (or --param KEY VALUE)."
            )
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


def _review_texts(extra: list[str]) -> dict:
    """The ``-p KEY VALUE`` pairs as given (text), for conversion by the template's declared types
    (``workbench.reports.runner.parameters_from_text``); call after :func:`_review_params` checked them."""
    return {extra[i + 1]: extra[i + 2] for i in range(0, len(extra) - 2, 3)}


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def review(
    ctx: typer.Context,
    template: Annotated[str, typer.Argument(help="A shipped template (trade_off_review) or a notebook path.")],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder of the review's outputs.")] = Path(
        "review-output"
    ),
    param_file: Annotated[
        list[Path] | None, typer.Option("--parameters-file", "-f", help="YAML file of parameters (repeatable).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run a review template: -p KEY VALUE (repeatable) sets a parameter. Writes review.ipynb,
    memo.html, summary.json and decision.md into OUTDIR. Exit 1 when the review fails, 2 for bad
    parameters (the message lists the accepted ones)."""
    from workbench.reports import ParameterError, ReviewError, ReviewFailed, run_review
    from workbench.reports.runner import parameters_from_text

    try:
        params = _review_params(list(ctx.args), list(param_file or []))
    except typer.BadParameter as exc:
        _err().print(f"[bold red]error:[/] {_plain(exc)}", markup=True, emoji=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:  # -p values by the template's declared types: a str parameter stays the text given
        params.update(parameters_from_text(template, _review_texts(list(ctx.args))))
        result = run_review(template, params, output_dir, progress=progress and _err().is_terminal)
    except ReviewFailed as exc:
        _err().print(f"[bold red]review failed:[/] {_plain(exc)}", markup=True, emoji=False, highlight=False)
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    except (ParameterError, ReviewError, WorkbenchError) as exc:
        raise _fail(exc) from None
    for note in result.recovered:
        _err().print(note, markup=False)
    console = _out()
    chosen = result.summary["decision"]["chosen"]
    console.print(f"Decision: [bold]{_plain(chosen)}[/]" if chosen else "[red]No feasible candidate: no decision.[/]")
    console.print(f"Memo: {result.memo.resolve()}", markup=False)
    console.print(f"Summary: {result.summary_path.resolve()}", markup=False)
    console.print(f"Decision record: {result.decision.resolve()}", markup=False)
    console.print(f"Notebook: {result.notebook.resolve()}", markup=False)
