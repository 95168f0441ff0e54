"""A full disk, a read-only folder, a folder without write permission, a file-size limit: every
command that writes (analyze -o, export -o, decide -o, watch -o, the decision log, the search
record, a review's outputs) exits 2 with one clear message naming the path, the OS reason and the
fix; no traceback; the earlier file intact; no temporary file left behind.

Two kinds of fault: injected at the OS boundary in-process (every command x every errno, fast), and
real ones in subprocesses: a full tmpfs and a read-only bind mount in a private mount namespace,
a 0555 folder for an unprivileged user, and RLIMIT_FSIZE.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.hardening import _faults as F
from tests.hardening import _tally
from workbench.errors import OutputError

MODEL = """
name: api
objectives:
  - {name: acc, direction: max, weight: 2, tolerance: 0.005}
  - {name: latency_ms, direction: min, unit: ms, constraint: "<= 30"}
"""
WATCH_MODEL = """
objectives:
  - {name: latency_p95_ms, direction: min, unit: ms, source: latency_ms, aggregation: p95, constraint: "<= 120"}
  - {name: error_rate, direction: min, source: error, aggregation: rate, constraint: "<= 0.05"}
"""
EARLIER = b"the earlier file: must survive\n"


def _inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"id": ["a", "b", "c", "d"], "acc": [0.90, 0.80, 0.85, 0.95], "latency_ms": [20, 10, 25, 40]}).to_csv(
        folder / "runs.csv", index=False
    )
    (folder / "quality.yaml").write_text(MODEL)
    (folder / "watch.yaml").write_text(WATCH_MODEL)
    rng = np.random.default_rng(0)
    n = 200
    t0 = pd.Timestamp("2026-03-01", tz="UTC")
    pd.DataFrame(
        {
            "timestamp": t0 + pd.to_timedelta(rng.uniform(0, 7200, 2 * n), unit="s"),
            "version": ["v1"] * n + ["v2"] * n,
            "latency_ms": rng.lognormal(3.5, 0.2, 2 * n),
            "error": rng.uniform(size=2 * n) < 0.01,
        }
    ).to_parquet(folder / "logs.parquet", index=False)
    from typer.testing import CliRunner

    from workbench.cli import app

    r = CliRunner().invoke(
        app,
        [
            "analyze",
            str(folder / "runs.csv"),
            "-m",
            str(folder / "quality.yaml"),
            "-f",
            "json",
            "-o",
            str(folder / "analysis.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["decide", str(folder / "analysis.json"), "-d", f"sqlite:///{folder / 'log.db'}"])
    assert r.exit_code == 0, r.output
    return {
        "dir": folder,
        "runs": folder / "runs.csv",
        "qm": folder / "quality.yaml",
        "wqm": folder / "watch.yaml",
        "logs": folder / "logs.parquet",
        "analysis": folder / "analysis.json",
        "log": folder / "log.db",
    }


def _commands(i: dict[str, Path], out: Path) -> dict[str, tuple[list[str], Path]]:
    """command name -> (CLI arguments, the file it writes)."""
    return {
        "analyze": (
            ["analyze", i["runs"], "-m", i["qm"], "-f", "json", "-o", out / "analysis.json"],
            out / "analysis.json",
        ),
        "export_madr": (
            ["export", "madr", "-d", f"sqlite:///{i['log']}", "-o", out / "decision.md"],
            out / "decision.md",
        ),
        "export_optuna": (["export", "optuna", "-m", i["qm"], "-o", out / "optuna.json"], out / "optuna.json"),
        "watch": (["watch", i["logs"], "-m", i["wqm"], "-o", out / "triggers.json"], out / "triggers.json"),
        "decide": (
            ["decide", i["analysis"], "-d", f"sqlite:///{out / 'other.db'}", "-o", out / "madr.md"],
            out / "madr.md",
        ),
    }


def _check(
    area: str, what: str, code: int, rc: int, text: str, target: Path, folder: Path, earlier: bytes | None = EARLIER
) -> None:
    """Exit 2, one clear message (path, OS reason, fix), no traceback, earlier file intact, no temp."""
    reason = os.strerror(code)
    _tally.assert_invariant(area, rc == 2, f"{what}: exit {rc}, expected 2: {text[-800:]}")
    _tally.assert_invariant(area, F.clear_error(text), f"{what}: not one clear error: {text[-800:]}")
    flat = " ".join(text.split())
    shown = str(target) if str(target) in flat else str(target.parent)
    _tally.assert_invariant(
        area,
        shown in flat and reason in flat and "Fix:" in flat,
        f"{what}: message lacks the path, {reason!r} or the fix: {text[-800:]}",
    )
    lost = 0
    if earlier is not None:
        lost += target.read_bytes() != earlier if target.exists() else 1
    strays = [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".review-")]
    _tally.assert_nothing_lost(area, lost=lost + len(strays), what=f"files ({what}; stray {strays})")


# --- injected at the OS boundary, every command x every errno -------------------------------------

INJECT = {  # where the OS says no -> errno
    "mkstemp-EROFS": ("tempfile.mkstemp", errno.EROFS),
    "mkstemp-EACCES": ("tempfile.mkstemp", errno.EACCES),
    "fsync-ENOSPC": ("os.fsync", errno.ENOSPC),
    "fsync-EDQUOT": ("os.fsync", errno.EDQUOT),
    "replace-EIO": ("os.replace", errno.EIO),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return _inputs(tmp_path_factory.mktemp("faults-disk") / "inputs")


@pytest.mark.parametrize("fault", list(INJECT))
def test_injected_write_failures_give_a_clear_error_and_lose_nothing(inputs, tmp_path, monkeypatch, fault):
    from typer.testing import CliRunner

    from workbench.cli import app

    where, code = INJECT[fault]
    out = tmp_path / "out"
    out.mkdir()
    for name, (args, target) in _commands(inputs, out).items():
        target.write_bytes(EARLIER)
        module, attr = where.split(".")
        real = getattr({"os": os, "tempfile": tempfile}[module], attr)

        def refuse(*a, _code=code, _real=real, _target=target, **kw):
            # refuse only the output's own writes (SQLite, DuckDB and Python's caches write too)
            if any(str(_target.parent) in str(x) for x in (*a, *kw.values())) or where == "os.fsync":
                raise OSError(_code, os.strerror(_code))
            return _real(*a, **kw)

        with monkeypatch.context() as m:
            m.setattr(f"{where}", refuse)
            r = CliRunner().invoke(app, [str(a) for a in args])
        text = r.output + (repr(r.exception) if r.exception and not isinstance(r.exception, SystemExit) else "")
        _check(f"faults.disk.{name}", f"{name} with {fault}", code, r.exit_code, text, target, out)
        if name == "decide":  # the record is committed before the MADR file: said, so no one appends it twice
            assert "is recorded, but its MADR file was not written" in r.output


def test_search_record_and_decision_log_refused_by_the_os(tmp_path, monkeypatch):
    """SQLite's own words ('attempt to write a readonly database', 'database or disk is full') become
    an OutputError with the OS reason read back from the folder."""
    from workbench._io import database_error

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "d.db"
    monkeypatch.setattr(os, "statvfs", lambda p: type("S", (), {"f_flag": os.ST_RDONLY, "f_bavail": 5})())
    err = database_error(db, sqlite3.OperationalError("attempt to write a readonly database"), "the log")
    assert isinstance(err, OutputError) and "Read-only file system" in str(err) and str(db) in str(err)
    monkeypatch.setattr(os, "statvfs", lambda p: type("S", (), {"f_flag": 0, "f_bavail": 0})())
    err = database_error(db, sqlite3.OperationalError("database or disk is full"), "the log")
    assert "No space left on device" in str(err) and "Committed records are intact" in str(err)
    assert database_error(db, sqlite3.OperationalError("no such table: x"), "the log") is None
    _tally.count_fault("faults.disk.sqlite_words")


# --- real: a full tmpfs and a read-only bind mount, in a private mount namespace ---------------------

REAL_SCRIPT = r"""
OUT="$1"; RES="$2"; MODE="$3"
mkdir -p "$OUT"
if [ "$MODE" = full ]; then mount -t tmpfs -o size=1m tmpfs "$OUT"; fi
cp -a "$RES/earlier/." "$OUT/"
if [ "$MODE" = full ]; then
  dd if=/dev/zero of="$OUT/filler" bs=4k 2>/dev/null || true
  dd if=/dev/zero of="$OUT/filler2" bs=512 2>/dev/null || true
fi
if [ "$MODE" = readonly ]; then mount --bind "$OUT" "$OUT"; mount -o remount,bind,ro "$OUT"; fi
run() { name="$1"; shift; set +e; python -m workbench "$@" >"$RES/$name.out" 2>"$RES/$name.err"; echo $? >"$RES/$name.rc"; set -e; }
"""


def _real(tmp_path: Path, mode: str, inputs: dict[str, Path]) -> tuple[Path, Path, dict]:
    """Run every writing command against a full / read-only folder; returns (out, results, commands)."""
    reason = F.unshare_unavailable()
    if reason:
        pytest.skip(f"a real {mode} folder needs a private mount namespace: {reason}")
    out, res = tmp_path / "out", tmp_path / "res"
    (res / "earlier").mkdir(parents=True)
    cmds = _commands(inputs, out)
    for _, target in cmds.values():
        (res / "earlier" / target.name).write_bytes(EARLIER)
    shutil.copy(inputs["log"], res / "earlier" / "decisions.db")
    review_before, _ = F.make_set("before")
    F.write_set(res / "earlier" / "review", review_before)
    cmds["decision_log"] = (
        ["decide", inputs["analysis"], "-d", f"sqlite:///{out / 'decisions.db'}"],
        out / "decisions.db",
    )
    cmds["review"] = (
        [
            "review",
            "trade_off_review",
            "-p",
            "candidates",
            inputs["runs"],
            "-p",
            "quality_model",
            inputs["qm"],
            "-o",
            out / "review",
            "--no-progress",
        ],
        out / "review" / "summary.json",
    )
    cmds["search_record"] = (
        ["search", "space.yaml", "-m", inputs["qm"], "-e", "problems:f", "--budget", "4", "-o", out / "search"],
        out / "search" / "evaluations.sqlite",
    )
    script = REAL_SCRIPT + "".join(f"run {name} {' '.join(_q(a) for a in args)}\n" for name, (args, _) in cmds.items())
    script += f"run list_log decisions list -d {_q(out / 'decisions.db')}\n"  # reading must still work
    script += 'sha256sum "$OUT"/* "$OUT"/review/* > "$RES/sums" 2>/dev/null || true\n'
    script += 'ls -A "$OUT" "$OUT/review" > "$RES/ls"\n'
    (inputs["dir"] / "space.yaml").write_text("name: s\nparameters:\n  x: {type: float, low: 0, high: 1}\n")
    (inputs["dir"] / "problems.py").write_text("def f(c):\n    return {'acc': c['x'], 'latency_ms': 10 + c['x']}\n")
    r = subprocess.run(
        [
            "unshare",
            *(["-m"] if os.geteuid() == 0 else ["-r", "-m"]),
            "--propagation",
            "private",
            "sh",
            "-ec",
            script,
            "sh",
            str(out),
            str(res),
            mode,
        ],
        cwd=inputs["dir"],
        env=F.env(inputs["dir"]),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return out, res, cmds


def _q(arg) -> str:
    return "'" + str(arg).replace("'", "'\\''") + "'"


def _sums(res: Path) -> dict[str, str]:
    out = {}
    for line in (res / "sums").read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        out[path.strip()] = digest
    return out


@pytest.mark.slow
@pytest.mark.parametrize("mode,code", [("full", errno.ENOSPC), ("readonly", errno.EROFS)])
def test_a_real_full_disk_or_read_only_folder(inputs, tmp_path, mode, code):
    import hashlib

    out, res, cmds = _real(tmp_path, mode, inputs)
    sums = _sums(res)
    listing = (res / "ls").read_text()
    earlier_sum = hashlib.sha256(EARLIER).hexdigest()
    for name, (_, target) in cmds.items():
        rc = int((res / f"{name}.rc").read_text())
        text = (res / f"{name}.out").read_text() + (res / f"{name}.err").read_text()
        area = f"faults.disk_real.{name}"
        reason = os.strerror(code)
        _tally.assert_invariant(area, rc == 2, f"{mode} {name}: exit {rc}: {text[-1500:]}")
        _tally.assert_invariant(area, F.clear_error(text), f"{mode} {name}: not one clear error: {text[-1500:]}")
        flat = " ".join(text.split())
        _tally.assert_invariant(
            area,
            reason in flat and "Fix:" in flat and str(target.parent) in flat,
            f"{mode} {name}: message lacks the path, {reason!r} or the fix: {text[-1500:]}",
        )
        lost = 0
        if name in ("review",):
            lost = sum(
                sums.get(str(out / "review" / n)) != hashlib.sha256(b).hexdigest()
                for n, b in F.make_set("before")[0].items()
            )
        elif name == "decision_log":
            lost = 0 if str(target) in sums else 1
        elif name != "search_record":
            lost = sums.get(str(target)) != earlier_sum
        strays = [w for w in listing.split() if w.endswith(".tmp") or w.startswith(".review-")]
        _tally.assert_nothing_lost(area, lost=int(lost) + len(strays), what=f"files ({mode} {name}; stray {strays})")
    # the decision log the write was refused on is still readable (an auditor's archived copy)
    from workbench.decisions import DecisionLog

    with DecisionLog(inputs["log"]) as lg:
        recorded = lg.recent_ids()
    rc = int((res / "list_log.rc").read_text())
    text = (res / "list_log.out").read_text() + (res / "list_log.err").read_text()
    _tally.assert_invariant(
        "faults.disk_real.decision_log",
        rc == 0 and recorded[0][:12] in text and "open read-only" in text,
        f"{mode}: listing the log failed (exit {rc}): {text[-1500:]}",
    )


# --- real: a folder without write permission (an unprivileged user), RLIMIT_FSIZE ---------------------


@pytest.mark.slow
def test_a_real_folder_without_write_permission(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="wb-perm-", dir="/tmp"))  # readable by an unprivileged user
    try:
        base.chmod(0o755)
        inputs = _inputs(base / "inputs")
        out = base / "out"
        out.mkdir()
        cmds = _commands(inputs, out)
        for _, target in cmds.values():
            target.write_bytes(EARLIER)
        for p in base.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        out.chmod(0o555)
        inputs["dir"].chmod(0o777)  # the decision log is the user's (export appends to it): only out/ is closed
        inputs["log"].chmod(0o666)
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root and no setpriv to drop privileges: chmod cannot stop root")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        else:
            prefix = []
        for name, (args, target) in cmds.items():
            if name == "decide":  # its log must be writable: it is the MADR file that cannot be
                args = [a if "other.db" not in str(a) else f"sqlite:///{base / 'other.db'}" for a in args]
                base.chmod(0o777)
            r = subprocess.run(
                [*prefix, sys.executable, "-m", "workbench", *map(str, args)],
                cwd=base,
                env=F.env(base),
                capture_output=True,
                text=True,
                timeout=300,
            )
            base.chmod(0o755)
            _check(
                f"faults.disk_real.{name}",
                f"{name} into a 0555 folder",
                errno.EACCES,
                r.returncode,
                r.stdout + r.stderr,
                target,
                out,
            )
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_real_file_size_limit(inputs, tmp_path):
    """RLIMIT_FSIZE with SIGXFSZ ignored: the OS answers EFBIG to a write past the limit."""
    out = tmp_path / "out"
    out.mkdir()
    args, target = _commands(inputs, out)["analyze"]
    target.write_bytes(EARLIER)

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    # no bytecode writes: past the limit they would be cut short and leave corrupt .pyc files behind
    r = subprocess.run(
        [sys.executable, "-B", "-m", "workbench", *map(str, args)],
        cwd=tmp_path,
        env=F.env(tmp_path, PYTHONDONTWRITEBYTECODE="1"),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )
    _check(
        "faults.disk_real.analyze",
        "analyze over RLIMIT_FSIZE",
        errno.EFBIG,
        r.returncode,
        r.stdout + r.stderr,
        target,
        out,
    )
