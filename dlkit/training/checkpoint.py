"""Best and last checkpoints, each written whole or not at all. Imports Keras: load it lazily."""

from __future__ import annotations

import math
import os
from pathlib import Path

from dlkit.backend import keras
from dlkit.runs import atomic_write

BEST, LAST = "best.keras", "last.keras"


class Checkpoint(keras().callbacks.Callback):
    """After every epoch save `last.keras`, and `best.keras` when `monitor` improved."""

    def __init__(self, folder: Path, monitor: str, direction: str):
        super().__init__()
        self.folder, self.monitor, self.direction = Path(folder), monitor, direction
        self.best = math.inf if direction == "min" else -math.inf
        self.best_epoch: int | None = None

    def _save(self, name: str) -> None:
        # model.save wants a .keras name; write beside the target, then rename over it.
        tmp = self.folder / f".{name}.{os.getpid()}.tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, self.folder / name)

    def on_epoch_end(self, epoch, logs=None):
        self._save(LAST)
        value = (logs or {}).get(self.monitor)
        if value is None or math.isnan(value):
            return
        if (value < self.best) if self.direction == "min" else (value > self.best):
            self.best, self.best_epoch = float(value), epoch
            # The same weights as last.keras: copy its bytes rather than serialise the model again.
            atomic_write(self.folder / BEST, (self.folder / LAST).read_bytes())
