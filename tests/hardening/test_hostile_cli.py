"""Console markup and terminal escapes in ids, names and messages -> the CLI's tables and errors.

Oracle (the CLI in-process, as a pipe sees it): ``workbench analyze`` and ``workbench decisions``
exit 0 with every id and name shown literally (markup such as ``[/]`` or ``[link=...]`` printed as
text), no escape character from the data reaches the output (shown as ``\\x1b``), and an unknown champion named like
markup exits 2 with the name in the message and no traceback.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.hardening import _tally, attacks

typer_testing = pytest.importorskip("typer.testing")

AREA = "hostile_cli"
IDS = [p for p in attacks.TERMINAL + attacks.HTML[:2] + attacks.SQL[:2] + attacks.TEMPLATE[:1]]


def _shown(payload: str, out: str) -> bool:
    """The payload is printed as text: markup literally, control characters as ``\\xNN``."""
    visible = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", payload)
    return "\x1b" not in out and visible in out


def test_cli_prints_markup_and_escapes_as_text(tmp_path):
    from workbench.cli import app

    runner = typer_testing.CliRunner()
    n = len(IDS)
    acc, ms = "acc [/x] [bold]", "ms [link]https://evil.example[/link]"
    pd.DataFrame({"id": IDS, acc: [0.5 + 0.04 * i for i in range(n)], ms: [10.0 + i for i in range(n)]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    (tmp_path / "q.yaml").write_text(
        f"objectives:\n  - {{name: '{acc}', direction: max}}\n  - {{name: '{ms}', direction: min}}\n"
    )
    r = runner.invoke(app, ["analyze", str(tmp_path / "c.csv"), "-m", str(tmp_path / "q.yaml"), "--smaa", "0"])
    out = r.stdout
    for payload in [*IDS, acc, ms]:
        _tally.assert_blocked(AREA, payload, r.exit_code != 0 or not _shown(payload, out), "workbench analyze table")
    for payload in attacks.TERMINAL[:4]:
        r = runner.invoke(
            app,
            [
                "analyze",
                str(tmp_path / "c.csv"),
                "-m",
                str(tmp_path / "q.yaml"),
                "--smaa",
                "0",
                "--champion",
                payload + " missing",
            ],
        )
        _tally.assert_blocked(
            AREA,
            payload,
            r.exit_code != 2
            or r.exception not in (None,)
            and not isinstance(r.exception, SystemExit)
            or payload not in r.stderr,
            "workbench analyze error message",
        )
