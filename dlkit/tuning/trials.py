"""A worker's loop: claim a trial, train it as a normal dlkit run in `trial-NNN/`, report its epochs
to the pruner, tell the study how it ended; until the study holds the requested number of trials."""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from dlkit.config import ExperimentConfig, parse_config
from dlkit.config.space import trial_data
from dlkit.core.backend import keras
from dlkit.core.errors import DlkitError, Interrupted
from dlkit.core.runs import folder_lock, now, read_run
from dlkit.tuning.storage import study_lock
from dlkit.tuning.study import StudyFolder, counted, is_alive, owner, seed_sampler

#: `_claim`'s answer while other workers run the study's last trials.
WAIT = object()
#: Seconds between looks at those trials (a quarter of `tune.lost_after` when that is shorter).
POLL = 2.0


class StudyInterrupted(DlkitError):
    """Ctrl-C during a trial: its checkpoint is kept, and the next run of the command resumes it."""

    def __init__(self, trial: int, command: str):
        super().__init__(f"interrupted in trial {trial}; the study goes on (resuming that trial) with: {command}")


def work(
    study,
    folder: StudyFolder,
    config: ExperimentConfig,
    data: dict,
    trials: int,
    *,
    command: list[str],
    worker: int = 0,
    say: Callable[[str], None] = lambda message: None,
) -> int:
    """Run trials until the study holds `trials` of them and no other worker's is still running (so
    this worker's reports cover them, and a trial whose worker is lost is tried again); return how
    many this worker ran."""
    keras()  # load TensorFlow before claiming: a claimed trial's heartbeat then means it is training
    lost_after, ran, waiting = config.tune.lost_after, 0, False
    while True:
        with folder_lock(folder.path), study_lock(folder.storage, folder.name):
            claimed = _claim(study, folder, config, trials, worker, say)
        if claimed is None:
            return ran
        if claimed is WAIT:
            if not waiting:
                say(f"waiting for the trials other workers are running (lost after {lost_after} s without an epoch)")
            waiting = True
            time.sleep(min(POLL, lost_after / 4))
            continue
        waiting = False
        trial, resumed = claimed
        _run(study, trial, resumed, folder, config, data, command, say)
        ran += 1


def _claim(study, folder: StudyFolder, config: ExperimentConfig, trials: int, worker: int, say):
    """The next trial to run: one left by a dead process (resumed from its run folder, if that is
    here), or a new one while the study holds fewer than `trials`; WAIT while others still run
    the last ones; None when the study is done."""
    from optuna.trial import Trial, TrialState

    running = 0
    for left in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if is_alive(left, config.tune.lost_after):
            running += 1
            continue
        trial = Trial(study, left._trial_id)  # FrozenTrial keeps its storage id private; Trial needs it
        if (folder.path / left.user_attrs.get("run", "-")).is_dir():
            for key, value in owner().items():
                trial.set_user_attr(key, value)
            return trial, True
        trial.set_user_attr("interrupted", True)
        trial.set_user_attr("error", "its process stopped before it could be resumed here; repeated")
        study.tell(trial, state=TrialState.FAIL)
        study.enqueue_trial(left.params, skip_if_exists=False)
        say(f"trial {left.number}: its process is gone; its values go into a new trial")
    if counted(study) >= trials:
        return WAIT if running else None
    seed_sampler(study, config, worker)
    trial = study.ask()
    for key, value in {**owner(), "run": f"trial-{trial.number:03d}"}.items():
        trial.set_user_attr(key, value)
    return trial, False


def _run(study, trial, resumed: bool, folder, config, data, command, say) -> None:
    from optuna.trial import TrialState

    tune = config.tune
    values = {key: distribution.suggest(trial, key) for key, distribution in tune.space.items()}
    run_dir = folder.path / trial.user_attrs["run"]
    shown = ", ".join(f"{key}={_short(value)}" for key, value in values.items())
    say(f"trial {trial.number}: {'resuming ' if resumed else ''}{shown}")
    reporter = _reporter(trial, tune.metric)
    try:
        if not resumed:
            from dlkit.training.trainer import train

            trial_config = parse_config(trial_data(data, values), f"trial {trial.number}")
            train(trial_config, run_dir=run_dir, command=command, callbacks=[reporter])
        elif read_run(run_dir).get("status") != "completed":  # a completed one only needs telling
            from dlkit.training.resume import resume

            resume(run_dir, callbacks=[reporter], command=command, say=say)
        value = best_value(run_dir, tune.metric, tune.direction)
    except (Interrupted, KeyboardInterrupt):
        trial.set_user_attr("pid", None)  # no process of this trial now: the next worker here resumes it
        raise StudyInterrupted(trial.number, " ".join(command)) from None
    except Exception as e:  # a bad sampled combination, NaN, out of memory: the study goes on
        if os.environ.get("DLKIT_DEBUG") == "1":
            raise
        reason = " ".join(str(e).split())[:300] or type(e).__name__
        trial.set_user_attr("error", reason)
        study.tell(trial, state=TrialState.FAIL)
        say(f"trial {trial.number}: failed: {reason}")
        return
    finally:
        keras().backend.clear_session()  # each trial builds a new model; free the last one
    if reporter.taken:
        say(f"trial {trial.number}: taken as lost by another worker (no epoch for tune.lost_after); stopped here")
        return
    if reporter.pruned_at is not None:
        study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
        say(f"trial {trial.number}: pruned after epoch {reporter.pruned_at} ({tune.metric} {_short(value)})")
    else:
        study.tell(trial, value, skip_if_finished=True)  # another machine may have taken it as lost
        say(f"trial {trial.number}: {tune.metric} {_short(value)}")


def _reporter(trial, metric: str):
    """A callback that reports each epoch's `metric` to the pruner and stops the run it prunes."""

    from optuna.exceptions import UpdateFinishedTrialError

    class Reporter(keras().callbacks.Callback):
        pruned_at, batches, taken = None, 0, False

        def on_train_batch_end(self, batch, logs=None):
            self.batches = batch + 1

        def on_epoch_end(self, epoch, logs=None):
            try:
                trial.set_user_attr("heartbeat", now())
            except UpdateFinishedTrialError:  # another machine gave it up as lost and repeats it
                self.taken, self.model.stop_training = True, True
                return
            if self.batches < (self.params.get("steps") or 0):
                return  # stopped mid-epoch (Ctrl-C): its figures are not the epoch's
            self.batches = 0
            value = (logs or {}).get(metric)
            if value is None or not math.isfinite(value):
                return
            trial.report(float(value), epoch)
            if trial.should_prune():
                self.pruned_at = epoch + 1
                self.model.stop_training = True

    return Reporter()


def best_value(run_dir: Path, metric: str, direction: str) -> float:
    """The run's best epoch by `metric`: the trial's value."""
    with open(run_dir / "history.csv", newline="") as f:
        values = [float(row[metric]) for row in csv.DictReader(f) if row.get(metric) not in (None, "")]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        raise DlkitError(f"{metric} was never a finite number")
    return max(finite) if direction == "maximize" else min(finite)


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
