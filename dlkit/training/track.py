"""`train.track: {type: mlflow}`: the run logged to MLflow as it trains. Parameters (the resolved
config, flattened) and tags when training begins, each epoch's figures as it ends, and when the run
folder is complete its final metrics and files as artifacts. A tune trial is a child of its study's
run. Imports Keras and MLflow: load it lazily."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import time
from pathlib import Path

from dlkit.config import ExperimentConfig
from dlkit.config.explain import leaves
from dlkit.core.backend import keras
from dlkit.core.errors import DataError, Interrupted
from dlkit.core.runs import HISTORY, RUN_FILE, folder_lock, read_json, read_run, update_run, write_json
from dlkit.core.version import __version__

#: A study folder of `dlkit tune` holds this file; its trials are the folders inside it.
STUDY_FILE = "study.json"
#: Where a study folder keeps its MLflow run, the parent of its trials' runs.
PARENT_FILE = "mlflow.json"
#: The run folder's files logged as artifacts when it is complete (and `plots/`, whole).
ARTIFACTS = ("model.keras", "config.yaml", RUN_FILE, "metrics.json", "history.csv")
#: MLflow takes at most this many parameters per call.
BATCH = 100


def tracked(fit, config: ExperimentConfig, run_dir: Path, fingerprint: str, callbacks=()) -> Path:
    """`fit(run_dir, callbacks)` (a training session's), logged where `train.track` says: the
    tracker's callback added, its run closed as the training ends, however it ends."""
    spec = config.train.track
    if spec is None:
        return fit(run_dir, callbacks)
    tracking = MlflowRun(spec, config, Path(run_dir), fingerprint)
    try:
        done = fit(run_dir, [*callbacks, tracking])
    except BaseException as e:
        with contextlib.suppress(DataError):  # the training's own error is the one to show
            tracking.end("KILLED" if isinstance(e, Interrupted | KeyboardInterrupt) else "FAILED")
        raise
    tracking.end("FINISHED")
    return done


def client(uri: str):
    """An MLflow client of `uri`; a folder is MLflow's file store, which MLflow 3 refuses unless asked."""
    if "://" not in uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


@contextlib.contextmanager
def reaching(uri: str):
    """MLflow's failures (a server that is not there, a store that cannot be written) as one line."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (MlflowException, OSError) as e:
        reason = " ".join(str(e).split())[:200]
        raise DataError(f"train.track: cannot log to MLflow at {uri}: {reason}") from None


class MlflowRun(keras().callbacks.Callback):
    """One dlkit run as one MLflow run. A resumed run folder goes on logging into the MLflow run
    it started (its id is kept in `run.json`)."""

    def __init__(self, spec, config: ExperimentConfig, run_dir: Path, fingerprint: str):
        super().__init__()
        self.config, self.run_dir, self.fingerprint = config, run_dir, fingerprint
        self.experiment = spec.experiment or config.name
        self.uri, self.client = spec.uri, None
        self.run_id: str | None = None
        #: Rows of history.csv logged to the MLflow run.
        self.logged = 0

    def on_train_begin(self, logs=None):
        with reaching(self.uri):
            self.client = client(self.uri)
            self._start()

    def _start(self) -> None:
        from mlflow.entities import Param

        kept = (read_run(self.run_dir).get("mlflow") or {}).get("run_id")
        if kept:  # resumed: the same MLflow run, running again, which has the epochs done
            self.run_id = kept
            self._log_epochs_as_done()
            self.client.update_run(kept, status="RUNNING")
            return
        tags = {
            "mlflow.runName": self.run_dir.name,
            "dlkit.version": __version__,
            "dlkit.dataset": str(self.config.data.dataset),
            "dlkit.dataset_fingerprint": self.fingerprint,
            "dlkit.task": str(self.config.task),
            "dlkit.run_dir": str(self.run_dir.resolve()),
        }
        parent = self._parent()
        if parent:
            tags["mlflow.parentRunId"] = parent
        run = self.client.create_run(self._experiment_id(), tags=tags)
        self.run_id = run.info.run_id
        update_run(self.run_dir, mlflow={"run_id": self.run_id, "experiment": self.experiment})
        params = [
            Param(".".join(map(str, loc)), (value if isinstance(value, str) else json.dumps(value))[:6000])
            for loc, value in leaves(self.config.model_dump(mode="json"))
        ]
        for start in range(0, len(params), BATCH):
            self.client.log_batch(self.run_id, params=params[start : start + BATCH])

    def on_epoch_begin(self, epoch, logs=None):
        with reaching(self.uri):
            self._log_epochs()

    def _log_epochs(self) -> None:
        """The epochs `history.csv` gained since the last call, step = the epoch (from 1). Read from
        the file the checkpoint writes, an epoch is logged once it is kept: not the one a Ctrl-C or
        a NaN cut short, not twice across a resume."""
        path = self.run_dir / HISTORY
        if not path.is_file():
            return
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows[self.logged :]:
            figures = {k: float(v) for k, v in row.items() if k != "epoch" and v not in (None, "")}
            self._log_metrics(figures, step=int(row["epoch"]))
        self.logged = len(rows)

    def end(self, status: str) -> None:
        """Close the MLflow run: FINISHED with the final metrics and the run folder's files, or
        FAILED / KILLED (interrupted) as it stands."""
        if self.run_id is None:
            return
        with reaching(self.uri):
            self._end(status)

    def _end(self, status: str) -> None:
        self._log_epochs()
        if status == "FINISHED":
            metrics = read_json(self.run_dir / "metrics.json")
            self._log_metrics(
                {
                    f"{split}.{name}": value
                    for split, figures in metrics.items()
                    if isinstance(figures, dict)
                    for name, value in figures.items()
                },  # fmt: skip
                step=read_run(self.run_dir).get("best_epoch") or 0,
            )
            for name in ARTIFACTS:
                if (self.run_dir / name).is_file():
                    self.client.log_artifact(self.run_id, str(self.run_dir / name))
            if (self.run_dir / "plots").is_dir():
                self.client.log_artifacts(self.run_id, str(self.run_dir / "plots"), "plots")
        self.client.set_terminated(self.run_id, status)
        parent = read_json(self.run_dir.parent / PARENT_FILE).get("run_id")
        if parent:  # the study's run ends with its latest trial (a later one opens it again)
            self.client.set_terminated(parent, "FINISHED")

    def _log_epochs_as_done(self) -> None:
        if (self.run_dir / HISTORY).is_file():
            with open(self.run_dir / HISTORY, newline="") as f:
                self.logged = sum(1 for _ in csv.DictReader(f))

    def _log_metrics(self, figures: dict, step: int) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        numbers = [
            Metric(name, float(value), stamp, step)
            for name, value in figures.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        ]
        for start in range(0, len(numbers), BATCH):
            self.client.log_batch(self.run_id, metrics=numbers[start : start + BATCH])

    def _experiment_id(self) -> str:
        found = self.client.get_experiment_by_name(self.experiment)
        return found.experiment_id if found else self.client.create_experiment(self.experiment)

    def _parent(self) -> str | None:
        """A tune trial's parent: its study's MLflow run, made by the study's first tracked trial."""
        study = self.run_dir.parent
        if not (study / STUDY_FILE).is_file():
            return None
        with folder_lock(study):
            kept = read_json(study / PARENT_FILE).get("run_id")
            if kept:
                self.client.update_run(kept, status="RUNNING")
                return kept
            tags = {"mlflow.runName": study.name, "dlkit.version": __version__, "dlkit.study": str(study.resolve())}
            run_id = self.client.create_run(self._experiment_id(), tags=tags).info.run_id
            write_json(study / PARENT_FILE, {"run_id": run_id, "experiment": self.experiment})
            return run_id
