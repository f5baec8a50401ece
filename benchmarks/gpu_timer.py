"""A dlkit plug-in for benchmarks/gpu.py: `train.callbacks: [{type: epoch_ends, path: FILE}]` writes
the seconds from the start of `fit` to the end of each epoch (validation included) as a JSON list,
as benchmarks/gpu_plain.py records them, so both sides' images/s are taken on the same clock."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dlkit


@dlkit.register_callback()
class EpochEnds(dlkit.Callback):
    """Record when each epoch ends, in seconds from the start of training, into `path` (JSON)."""

    path: str

    def build(self, run_dir):
        import keras

        path = Path(self.path)

        class Ends(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start, self.ends = time.perf_counter(), []

            def on_epoch_end(self, epoch, logs=None):
                self.ends.append(time.perf_counter() - self.start)
                path.write_text(json.dumps(self.ends))

        return Ends()
