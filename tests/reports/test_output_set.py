"""The review's outputs are one set: stamped with the set id, committed through a staging folder,
recovered by the next run. Regression tests for a kill between the renames (which used to leave a
new summary.json beside the old memo.html) and for a staging folder left behind by a write failure."""

from __future__ import annotations

import errno
import hashlib
import json
import os

import pytest

from workbench.errors import OutputError
from workbench.reports import ReviewOutputsError, check_outputs, outputs, recover_outputs


def _set(tag: str) -> tuple[dict[str, bytes], str]:
    summary = (json.dumps({"title": tag}) + "\n").encode()
    set_id = "sha256:" + hashlib.sha256(summary).hexdigest()
    return {
        "review.ipynb": outputs.stamp_output("review.ipynb", b'{"cells": [], "metadata": {}}', set_id),
        "summary.json": summary,
        "decision.md": outputs.stamp_output("decision.md", f"# {tag}\n".encode(), set_id),
        "memo.html": outputs.stamp_output("memo.html", f"<html><head></head>{tag}</html>".encode(), set_id),
    }, set_id


def _write(folder, files):
    for name, data in files.items():
        (folder / name).write_bytes(data)


def test_stamps_are_idempotent_and_read_back(tmp_path):
    files, set_id = _set("a")
    assert outputs.stamp_output("memo.html", files["memo.html"], set_id) == files["memo.html"]
    assert outputs.stamp_output("decision.md", files["decision.md"], set_id) == files["decision.md"]
    _write(tmp_path, files)
    assert check_outputs(tmp_path) == set_id


def test_a_kill_between_renames_is_detected_and_finished_by_the_next_run(tmp_path, monkeypatch):
    old, old_id = _set("old")
    new, new_id = _set("new")
    _write(tmp_path, old)
    real, calls = os.replace, []

    class Killed(BaseException):
        pass

    def replace(src, dst):
        calls.append(dst)
        if len([c for c in calls if os.path.dirname(c) == str(tmp_path)]) == 3:  # after two outputs moved
            raise Killed
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Killed):
        outputs._commit(outputs._new_stage(tmp_path, "t"), tmp_path, new, new_id)
    monkeypatch.setattr(os, "replace", real)
    with pytest.raises(ReviewOutputsError, match=r"(?s)interrupted while moving them into place.*\.review-"):
        check_outputs(tmp_path)
    notes = recover_outputs(tmp_path)
    assert len(notes) == 1 and notes[0].startswith("Finished moving the outputs of an interrupted review")
    assert {n: (tmp_path / n).read_bytes() for n in new} == new and check_outputs(tmp_path) == new_id
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(new)


def test_a_failed_write_before_commit_keeps_the_old_set_and_no_staging_folder(tmp_path, monkeypatch):
    old, old_id = _set("old")
    new, new_id = _set("new")
    _write(tmp_path, old)

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    stage = outputs._new_stage(tmp_path, "t")
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OutputError, match=r"(?s)No space left on device.*earlier outputs are intact.*Fix: free"):
        outputs._commit(stage, tmp_path, new, new_id)
    assert check_outputs(tmp_path) == old_id
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(old)


def test_a_staging_folder_that_cannot_be_written_is_removed(tmp_path, monkeypatch):
    def refusing_write(self, *a, **kw):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("pathlib.Path.write_text", refusing_write)
    with pytest.raises(OutputError, match=rf"(?s)Cannot write the review's outputs into '{tmp_path}'.*Read-only"):
        outputs._new_stage(tmp_path, "t")
    assert list(tmp_path.iterdir()) == []
