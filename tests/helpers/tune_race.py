"""Workers started at the same moment on a new study."""

from __future__ import annotations

import threading
from pathlib import Path

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
