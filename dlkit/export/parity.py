"""The parity report: the exported model, run in its own runtime on the test split, against
`model.keras`: how far its outputs are, how often it decides the same, the test figures of both,
its size and its latency at batch 1."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dlkit.core.backend import model_function
from dlkit.export.base import Runner, in_batches, one_by_one

#: Examples timed one at a time for the latency figures (after a few untimed ones).
TIMED = 200


@dataclasses.dataclass
class Parity:
    runtime: str
    examples: int
    #: The largest absolute difference between the two models' outputs.
    max_abs_diff: float
    #: The share of examples whose predicted class (or set of labels) is the same; None for a
    #: task that predicts values.
    agreement: float | None
    #: The test figures of each: {"model.keras": {...}, "export": {...}}.
    metrics: dict[str, dict[str, float]]
    #: The figure the verdict is on (the task's headline), how much worse the export is on it
    #: (accuracy: points; a figure lower is better: relative), and the most allowed.
    judged_on: str
    drop: float
    max_drop: float
    size_bytes: int
    keras_bytes: int
    #: Mean milliseconds per example at batch 1: {"model.keras": ..., "export": ...}.
    latency_ms: dict[str, float]

    @property
    def passed(self) -> bool:
        return self.drop <= self.max_drop

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"size_ratio": self.size_ratio, "passed": self.passed}

    @property
    def size_ratio(self) -> float:
        return self.size_bytes / self.keras_bytes

    def rows(self) -> list[tuple[str, str, str]]:
        """(figure, model.keras, export) for the table `dlkit export` shows."""
        keras, export = self.metrics["model.keras"], self.metrics["export"]
        rows = [(name, f"{keras[name]:.4f}", f"{export[name]:.4f}") for name in keras if name in export]
        rows.append(("max |output difference|", "", f"{self.max_abs_diff:.3g}"))
        if self.agreement is not None:
            rows.append(("same prediction", "", f"{self.agreement:.2%}"))
        rows += [
            ("size", _size(self.keras_bytes), f"{_size(self.size_bytes)} ({self.size_ratio:.2f}x)"),
            ("ms per example (batch 1)", f"{self.latency_ms['model.keras']:.3f}", f"{self.latency_ms['export']:.3f}"),
        ]
        return rows


def compare(task, config, test, keras_outputs: np.ndarray, model, runner: Runner, examples, sizes, max_drop) -> Parity:
    """`test` is the test split (for its labels), `examples` its inputs as the model takes them,
    `keras_outputs` `model.keras`'s outputs on them."""
    from dlkit.engine.score import score

    outputs = np.asarray(in_batches(runner.run, examples), dtype="float32").reshape(keras_outputs.shape)
    metrics = {"model.keras": score(config, test, keras_outputs), "export": score(config, test, outputs)}
    judged_on = next(iter(task.headline(metrics["model.keras"])), "loss")
    return Parity(
        runtime=runner.runtime,
        examples=len(outputs),
        max_abs_diff=float(np.abs(outputs - keras_outputs).max()) if len(outputs) else 0.0,
        agreement=_agreement(task, keras_outputs, outputs),
        metrics=metrics,
        judged_on=judged_on,
        drop=_drop(config, judged_on, metrics["model.keras"][judged_on], metrics["export"][judged_on]),
        max_drop=max_drop,
        size_bytes=sizes[0],
        keras_bytes=sizes[1],
        latency_ms={"model.keras": _latency(model_function(model), examples), "export": _latency(runner.run, examples)},
    )


def _agreement(task, a: np.ndarray, b: np.ndarray) -> float | None:
    """The share of examples for which both outputs make the task decide the same."""
    decided = task.decisions(a)
    if decided is None or not len(a):
        return None
    same = (decided == task.decisions(b)).reshape(len(a), -1).all(axis=1)
    return float(same.mean())


def _drop(config, name: str, keras: float, export: float) -> float:
    """How much worse `export` is: in points for a figure higher is better (accuracy), relative to
    `keras` for one lower is better (a loss, an error)."""
    if config.logged().get(name, "down") == "up":
        return keras - export
    return (export - keras) / abs(keras) if keras else export - keras


def _latency(run, examples) -> float:
    """Mean milliseconds per call on single examples, after warming up on the first few."""
    for row in one_by_one(examples, 5):
        run(row)
    rows = list(one_by_one(examples, TIMED))
    start = time.perf_counter()
    for row in rows:
        run(row)
    return (time.perf_counter() - start) * 1000 / max(len(rows), 1)


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"
