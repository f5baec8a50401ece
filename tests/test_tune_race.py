"""Workers started at the same moment on a new study: each creates the study's tables and row, or
loads them when another was first; none dies of the race (`table studies already exists`).
PostgreSQL's case is in test_tune_postgres.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import TINY, write_config
from dlkit.config import load_config
from dlkit.tuning.study import open_folder, open_study

WORKERS = 4


def start_together(tmp_path: Path, storage: str | None) -> list[str]:
    """`WORKERS` threads opening one new study at once (a barrier lines them up just before
    `open_study`, where `dlkit tune` processes started together meet); the errors they raised."""
    data = {**TINY, "tune": {"metric": "val_accuracy", "trials": 2, "space": {
        "data.batch_size": {"type": "categorical", "choices": [32, 64]}}}}  # fmt: skip
    config = load_config(write_config(tmp_path, data))
    barrier, errors = threading.Barrier(WORKERS), []

    def worker(index: int) -> None:
        folder = open_folder(config, tmp_path / "runs", study="race", storage=storage, new=False)
        barrier.wait()
        try:
            study = open_study(folder, config, worker=index)
            assert study.study_name == "race"
        except BaseException as e:  # noqa: BLE001 (the test reports whatever a worker died of)
            errors.append(f"worker {index}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.parametrize("attempt", range(3))  # a race: a few goes, each new
def test_workers_starting_together_on_a_new_sqlite_study_all_open_it(tmp_path, attempt):
    assert start_together(tmp_path, None) == []
    import optuna

    url = f"sqlite:///{tmp_path / 'runs' / 'race' / 'study.db'}"
    assert [s.study_name for s in optuna.get_all_study_summaries(url)] == ["race"]


def test_a_server_error_is_not_taken_for_a_race(tmp_path):
    """Only a lost race is tried again: a storage that cannot work fails at once, in one line."""
    config = load_config(write_config(tmp_path, {**TINY, "tune": {"metric": "val_accuracy", "space": {
        "data.batch_size": {"type": "categorical", "choices": [32, 64]}}}}))  # fmt: skip
    (tmp_path / "not-a-folder").write_text("")
    folder = open_folder(config, tmp_path / "runs", study="s", storage=f"sqlite:///{tmp_path}/not-a-folder/x.db",
                         new=False)  # fmt: skip
    from dlkit.core.errors import UsageError

    with pytest.raises(UsageError, match="cannot open the study: .*unable to open database file"):
        open_study(folder, config)
