"""Faults while a review writes its outputs: killed or failing at every step of the commit, and
real SIGKILLs at random points of whole `workbench review` / `workbench decide` runs.

What must hold after every fault: the previous four outputs are byte-identical, or the folder holds
the complete new set (after the recovery that the next run does first); a half-moved set is
*detected* (check_outputs names the staging folder) and never silently mixed; what is left behind
is named so a user understands it; the decision log keeps every committed record.
"""

from __future__ import annotations

import errno
import json
import os
import random
import sqlite3
import time
from pathlib import Path

import pytest

from tests.hardening import _faults as F
from tests.hardening import _tally
from workbench.errors import OutputError
from workbench.reports import ReviewOutputsError, check_outputs, outputs, recover_outputs

AREA = "faults.review_outputs"


class SimulatedKill(BaseException):
    """Stands for SIGKILL: not an Exception, so no `except Exception` handler runs (finally blocks
    do, but the runner's only finally removes an *uncommitted* staging folder, which the next run
    would remove anyway)."""


class FaultAt:
    """Counts the commit's OS operations (os.replace, os.fsync) and faults at operation ``k``."""

    def __init__(self, monkeypatch, k: int, fault: BaseException | None):
        self.k, self.fault, self.n = k, fault, 0
        real_replace, real_fsync = os.replace, os.fsync

        def replace(src, dst, *a, **kw):
            self._tick(f"replace {Path(dst).name}")
            return real_replace(src, dst, *a, **kw)

        def fsync(fd):
            self._tick("fsync")
            return real_fsync(fd)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "fsync", fsync)

    def _tick(self, what: str) -> None:
        self.n += 1
        if self.fault is not None and self.n == self.k + 1:
            raise self.fault


def _commit(out: Path, files: dict[str, bytes], set_id: str) -> None:
    stage = outputs._new_stage(out, "now")
    outputs._commit(stage, out, files, set_id)


def _count_ops(tmp_path, monkeypatch) -> int:
    old, _ = F.make_set("old")
    new, new_id = F.make_set("new")
    F.write_set(tmp_path / "count", old)
    with monkeypatch.context() as m:
        counter = FaultAt(m, -1, None)
        _commit(tmp_path / "count", new, new_id)
    return counter.n


FAULTS = {
    "killed": lambda: SimulatedKill(),
    "ENOSPC": lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
    "EROFS": lambda: OSError(errno.EROFS, os.strerror(errno.EROFS)),
    "EIO": lambda: OSError(errno.EIO, os.strerror(errno.EIO)),
}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_fault_at_every_step_of_the_commit_loses_nothing(tmp_path, monkeypatch, kind):
    old, old_id = F.make_set("old")
    new, new_id = F.make_set("new")
    n_ops = _count_ops(tmp_path, monkeypatch)
    assert n_ops >= 2 * len(F.OUTPUTS) + 1  # a write+fsync per output, the COMMIT mark, four renames
    seen = set()
    for k in range(n_ops):
        out = tmp_path / f"{kind}-{k}"
        F.write_set(out, old)
        with monkeypatch.context() as m:
            FaultAt(m, k, FAULTS[kind]())
            try:
                _commit(out, new, new_id)
                raised = None
            except SimulatedKill:
                raised = "killed"
            except OutputError as exc:
                raised = exc
        if isinstance(raised, OutputError):  # a clear error: the path, the OS reason, the fix
            text = str(raised)
            _tally.assert_invariant(
                AREA,
                str(out) in text and os.strerror(FAULTS[kind]().errno) in text and "Fix:" in text,
                f"unclear error at step {k}: {text!r}",
            )
        # Before recovery: the old set, the new set, or a pending commit that readers are told about.
        now = F.outputs(out)
        if now == old:
            state = "old"
        elif now == new:
            state = "new"
        else:
            state = "mixed"
            with pytest.raises(
                ReviewOutputsError,
                match=r"(?s)interrupted while moving them into place.*"
                r"\.review-.*recover_outputs",
            ):
                check_outputs(out)
            stage = next(out.glob(".review-*"))
            _tally.assert_invariant(
                AREA,
                (stage / "COMMIT").is_file() and (stage / "README.txt").is_file(),
                f"a half-moved set without its COMMIT/README at step {k}",
            )
        seen.add(state)
        # What the next run does first.
        notes = recover_outputs(out)
        after = F.outputs(out)
        lost = sum(1 for n in F.OUTPUTS if after.get(n) not in (old[n], new[n]))
        lost += 0 if after in (old, new) else 1  # a mixed set counts as a lost output set
        _tally.assert_nothing_lost(AREA, lost=lost, what=f"outputs (step {k}, {kind}, state {state}, notes {notes})")
        _tally.assert_invariant(AREA, check_outputs(out) in (old_id, new_id), f"not one set after recovery, step {k}")
        _tally.assert_invariant(AREA, F.others(out) == [], f"left behind after recovery: {F.others(out)}")
        if state == "mixed":
            assert after == new and any("Finished moving" in n for n in notes)
    if kind == "killed":
        assert seen == {"old", "mixed", "new"}  # the kills did land before, during and after the renames


def test_check_outputs_detects_a_mixed_set(tmp_path):
    old, old_id = F.make_set("old")
    new, _ = F.make_set("new")
    F.write_set(tmp_path, old)
    assert check_outputs(tmp_path) == old_id
    (tmp_path / "memo.html").write_bytes(new["memo.html"])  # what renaming one by one used to leave
    with pytest.raises(ReviewOutputsError, match=r"not one review's set .*memo\.html: sha256:"):
        check_outputs(tmp_path)
    (tmp_path / "memo.html").unlink()
    with pytest.raises(ReviewOutputsError, match="memo.html: missing"):
        check_outputs(tmp_path)
    assert check_outputs(tmp_path / "nothing-here") is None


def test_stale_staging_folders_and_temp_files_are_cleaned_and_named(tmp_path):
    old, old_id = F.make_set("old")
    F.write_set(tmp_path, old)
    outputs._new_stage(tmp_path, "2026-01-01T00:00:00Z")  # a run killed before COMMIT
    (tmp_path / ".memo.html.abc123.tmp").write_bytes(b"half a memo")  # an interrupted atomic write
    readme = next(tmp_path.glob(".review-*")) / "README.txt"
    assert "interrupted" in readme.read_text() and "COMMIT" in readme.read_text()
    notes = recover_outputs(tmp_path)
    assert any("Removed .review-" in n and "interrupted before it finished" in n for n in notes)
    assert any(".memo.html.abc123.tmp" in n for n in notes)
    after = F.outputs(tmp_path)
    assert after == old and F.others(tmp_path) == [] and check_outputs(tmp_path) == old_id
    _tally.assert_nothing_lost(
        AREA, lost=sum(after.get(name) != data for name, data in old.items()), what="outputs of the earlier set"
    )


def test_a_second_review_into_the_same_folder_is_refused_while_one_runs(tmp_path):
    with outputs._locked(tmp_path):
        with pytest.raises(ReviewOutputsError, match=r"(?s)Another review is writing into .*Fix: wait"):
            recover_outputs(tmp_path)
    assert recover_outputs(tmp_path) == []  # the lock went with its holder


# --- real SIGKILLs -----------------------------------------------------------------------------------

CSV = "id,acc,ms\na,0.90,20\nb,0.80,10\nc,0.85,25\nd,0.95,40\ne,0.70,5\n"
MODEL = (
    'objectives:\n  - {name: acc, direction: max, weight: 2, constraint: ">= 0.75"}\n  - {name: ms, direction: min}\n'
)


def _review_args(inputs: Path, out: Path, seed: int) -> list[str]:
    return [
        "review",
        "trade_off_review",
        "-p",
        "candidates",
        inputs / "c.csv",
        "-p",
        "quality_model",
        inputs / "q.yaml",
        "-p",
        "smaa_samples",
        "50",
        "-p",
        "seed",
        str(seed),
        "-o",
        out,
        "--no-progress",
    ]


def _records(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT id, record FROM decisions"))


@pytest.mark.slow
def test_reviews_and_decides_killed_at_random_points(tmp_path):
    """A first review and decision; then reviews and decides SIGKILLed (whole process group, kernel
    included) at seeded random delays across a run; after each kill the outputs are the old set or
    a complete new one (after the recovery the next run does), and the log keeps every record."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "c.csv").write_text(CSV)
    (inputs / "q.yaml").write_text(MODEL)
    out, db = tmp_path / "out", tmp_path / "decisions.db"
    t0 = time.monotonic()
    first = F.cli(_review_args(inputs, out, 0), tmp_path, timeout=600)
    full = time.monotonic() - t0
    assert first.returncode == 0, first.stderr
    r = F.cli(["decide", out / "summary.json", "--decisions", f"sqlite:///{db}"], tmp_path)
    assert r.returncode == 0, r.stderr
    committed = _records(db)
    rng = random.Random(20261202)
    n_kills = int(os.environ.get("WORKBENCH_FAULT_KILLS", "6"))
    finished, phases = 0, {}
    for i in range(n_kills):
        before, before_id = F.outputs(out), check_outputs(out)
        delay = rng.uniform(0.0, 1.6 * full)  # runs beside a decide are slower than the first one
        review = F.start(_review_args(inputs, out, i + 1), tmp_path)
        decide = F.start(["decide", out / "summary.json", "--decisions", f"sqlite:///{db}"], tmp_path)
        time.sleep(rng.uniform(0.0, 1.5))
        F.kill_group(decide)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and review.poll() is None:
            time.sleep(0.05)
        finished += review.poll() == 0
        F.kill_group(review)
        stages = list(out.glob(".review-*"))
        phase = (
            "moving"
            if any((p / "COMMIT").exists() for p in stages)
            else "running"
            if stages
            else "finished"
            if F.outputs(out) != before
            else "starting"
        )
        phases[phase] = phases.get(phase, 0) + 1
        # The log opens and holds every record committed so far (plus maybe the killed decide's).
        now = _records(db)
        lost = sum(1 for k, v in committed.items() if now.get(k) != v)
        with sqlite3.connect(db) as con:
            _tally.assert_invariant(
                AREA, con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "decision log corrupt after a kill"
            )
        committed = now
        # The outputs: old set, or a pending commit the next run finishes, or the new set.
        if F.outputs(out) not in (before,):
            try:
                check_outputs(out)
            except ReviewOutputsError as exc:
                assert ".review-" in str(exc)  # a pending commit, named
        leftovers = F.others(out)
        _tally.assert_invariant(
            AREA, all(n.startswith(".review-") for n in leftovers), f"unclear leftovers {leftovers}"
        )
        for stage in out.glob(".review-*"):
            _tally.assert_invariant(AREA, (stage / "README.txt").is_file(), f"{stage.name} has no README.txt")
        recover_outputs(out)
        after = F.outputs(out)
        set_id = check_outputs(out)
        lost += 0 if (after == before or set_id != before_id) and set_id is not None else 1
        lost += len(F.others(out))
        _tally.assert_nothing_lost(
            "faults.review_kill",
            lost=lost,
            what=f"records/outputs after kill {i} at {delay:.1f} s (leftovers {leftovers})",
        )
        summary = json.loads((out / "summary.json").read_text())
        assert summary["decision"]["chosen"] == "a"
    # One more run killed a few seconds in; the next run cleans up and says what it removed.
    dying = F.start(_review_args(inputs, out, 99), tmp_path)
    time.sleep(min(5.0, full / 3))
    F.kill_group(dying)
    left = [p.name for p in out.glob(".review-*")]
    last = F.cli(_review_args(inputs, out, 100), tmp_path, timeout=600)
    assert last.returncode == 0, last.stderr
    for name in left:
        assert f"Removed {name}" in last.stderr or f"from {name}" in last.stderr
    assert F.others(out) == [] and check_outputs(out) is not None
    print(
        f"review kills: {n_kills} (+1), full run {full:.1f} s, {finished} finished before their kill; "
        f"phases killed in: {phases}"
    )
