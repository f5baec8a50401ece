"""Where a run's time goes (`run.json`'s timings, `dlkit train -v`), and what was cut to spend less
of it outside `fit`: the training split scored on a sample, the fingerprint of streamed files
cached, the exit without TensorFlow's teardown."""

import json
import os
import sys

import numpy as np
import pytest
from test_image_folder import make_folder

from conftest import TINY, write_config
from dlkit.core.registries import DATASETS
from dlkit.core.timings import PHASES
from dlkit.data import prepared as prepare_module


def test_run_json_records_the_phases_and_v_prints_them(tmp_path, cli):
    result = cli("train", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs", "-q", "-v")
    assert result.exit_code == 0, result.stderr
    run_dir = tmp_path / "runs" / result.stdout.strip().splitlines()[-1].split("/")[-1]
    timings = json.loads((run_dir / "run.json").read_text())["timings"]
    assert list(timings) == [*PHASES, "total"]
    assert all(seconds >= 0 for seconds in timings.values())
    assert sum(timings[p] for p in PHASES) == pytest.approx(timings["total"], abs=0.01)
    assert timings["fit"] > 0 and timings["evaluate"] > 0
    shown = result.stdout.strip().splitlines()[-2]
    assert shown.startswith("time: startup ") and shown.endswith(f"total {timings['total']:.1f} s")


def test_a_large_training_split_is_scored_on_a_seeded_sample_eval_agrees(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(prepare_module, "SCORED_TRAIN", 100)  # the digits' 1,150 training images: more
    result = cli("train", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs", "-q")
    run_dir = tmp_path / "runs" / result.stdout.strip().splitlines()[-1].split("/")[-1]
    trained = json.loads((run_dir / "metrics.json").read_text())["train"]
    assert cli("eval", run_dir, "--split", "train").exit_code == 0
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["train"]
    assert evaluated == pytest.approx(trained, abs=1e-6)
    report = json.loads((run_dir / "eval" / "confusion_matrix.json").read_text())
    assert np.asarray(report["matrix"]).sum() == 100


def test_the_sample_is_seeded_sorted_and_only_for_a_large_training_split(monkeypatch):
    from dlkit.config.loader import parse_config

    monkeypatch.setattr(prepare_module, "SCORED_TRAIN", 50)
    data = prepare_module.prepare_data(parse_config(TINY))
    first, again = data.scored("train", 7), data.scored("train", 7)
    assert len(first) == 50 and np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    assert not np.array_equal(first.y, data.scored("train", 8).y)
    assert len(data.scored("test", 7)) == len(data.splits.test) > 50  # other splits whole


def test_streamed_files_are_hashed_once_then_found_by_size_and_time(tmp_path, monkeypatch):
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 2)
    arrays = DATASETS.get("image_folder")(path=folder, image_size=[16, 16]).load()
    first = arrays.fingerprint()
    assert len(list((tmp_path / "cache" / "fingerprints").iterdir())) == 1

    def unread(path):
        raise AssertionError(f"{path} read again")

    from pathlib import Path

    monkeypatch.setattr(Path, "read_bytes", unread)
    assert arrays.fingerprint() == first  # from the cache, no file read
    monkeypatch.undo()
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    changed = sorted(folder.glob("red/*"))[0]
    changed.write_bytes(changed.read_bytes() + b"\0")  # another size: another key, hashed afresh
    assert arrays.fingerprint() != first
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "a-file"))
    assert arrays.fingerprint().startswith("sha256:")  # a cache that cannot be written: hashed each time


def test_the_fingerprint_is_the_content_hash_with_or_without_the_cache(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 1)
    arrays = DATASETS.get("image_folder")(path=folder, image_size=[16, 16]).load()
    digest = hashlib.sha256()
    for part, files in ((arrays.x_train, True), (arrays.y_train, False)):
        array = np.asarray(part)
        digest.update(f"{array.dtype}{array.shape}".encode())
        for item in array:
            digest.update(open(str(item), "rb").read() if files else b"")
        if not files:
            digest.update(np.ascontiguousarray(array).data)
    assert arrays.fingerprint() == arrays.fingerprint() == "sha256:" + digest.hexdigest()


def test_main_exits_with_the_commands_code_without_teardown(trained_run, monkeypatch, capsys):
    from dlkit.cli import main

    codes = []

    def exit_now(code):
        codes.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.setattr("logging.shutdown", lambda: None)  # pytest's own log handlers stay open
    run_dir, _ = trained_run
    for argv, code in ((["eval", str(run_dir)], 0), (["eval", str(run_dir), "--split", "dev"], 2)):
        monkeypatch.setattr(sys, "argv", ["dlkit", *argv])
        with pytest.raises(SystemExit):
            main()
        assert codes[-1] == code
    assert "dlkit: error:" in capsys.readouterr().err


def test_image_files_checked_once_are_not_checked_again_until_they_change(tmp_path, monkeypatch):
    from dlkit.data import image_folder

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 2)
    loader = DATASETS.get("image_folder")(path=folder, image_size=[16, 16])
    loader.load()
    checked = []
    monkeypatch.setattr(image_folder, "check_image", checked.append)
    loader.load()
    assert checked == []  # the same files: not opened again
    (folder / "red" / "new.png").write_bytes(b"not an image")
    monkeypatch.undo()
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(Exception, match="new.png: not a readable image"):
        loader.load()
