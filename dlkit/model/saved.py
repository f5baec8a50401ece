"""A run's model on disk: `model.keras` loaded in safe mode, and saved so it is never half-written."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from dlkit.core.errors import DataError, UsageError
from dlkit.core.runs import MODEL, read_run
from dlkit.core.writing import scratch, writing


def load_run_model(run_dir: Path):
    """The run's `model.keras`, loaded in safe mode (no arbitrary code from the file)."""
    import dlkit.layers.custom  # noqa: F401  (registers dlkit's layers for safe-mode loading)
    from dlkit.core.backend import keras

    path = Path(run_dir) / MODEL
    if not path.is_file():
        raise UsageError(f"{run_dir}: no {MODEL}; the run did not finish (status: {read_run(run_dir).get('status')})")
    try:
        return keras().saving.load_model(path, safe_mode=True, compile=False)
    except (ValueError, TypeError, OSError, zipfile.BadZipFile) as e:
        reason = str(e).strip().split(". ")[0].split("\n")[0]
        raise DataError(
            f"{path}: refused to load ({reason}); dlkit loads models in safe mode: Keras's and dlkit's "
            "own layers only, no Lambda layers or unknown classes, which could run code"
        ) from None


def save_model(model, path: Path) -> None:
    """`model.save` to a temporary `.keras` beside `path`, renamed over it: never half-written."""
    tmp = scratch(path, ".keras")
    with writing(path, scratch=tmp):
        model.save(tmp)
        os.replace(tmp, path)
