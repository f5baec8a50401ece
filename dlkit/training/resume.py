"""`dlkit train --resume RUN`: go on with an interrupted run from its last checkpoint, in its own
folder, or train a completed run further (`--extend-epochs`) in a new folder beside it; refusing
(in one line) whatever would not continue the same training."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from dlkit.config import dump_config, load_run_config
from dlkit.core.errors import UsageError
from dlkit.core.plugins import keep_in_run
from dlkit.core.runs import (
    HISTORY,
    MODEL,
    RUN_FILE,
    atomic_write,
    create_run_dir,
    mark_running,
    now,
    read_run,
    resolve_run,
    run_status,
)
from dlkit.core.strict import listed
from dlkit.core.writing import inside, remove_scratch, writing
from dlkit.training import state as saved_state
from dlkit.training.checkpoint import BEST, LAST
from dlkit.training.trainer import Session, make_session, open_run

#: What a continuation copies from a completed run (the rest is written again as it trains).
CARRIED = (f"checkpoints/{LAST}", f"checkpoints/{BEST}", HISTORY)
#: What going on in a run's folder writes there: refused before training if one is a symbolic link.
WRITES = ("checkpoints", "plots", RUN_FILE, "config.yaml", HISTORY, MODEL, "metrics.json", "calibration.json")


def resume(
    run: Path,
    *,
    force: bool = False,
    extend_epochs: int | None = None,
    callbacks=(),
    command=None,
    say: Callable[[str], None] = lambda message: None,
) -> Path:
    """Continue the run in `run` and return the folder it finished in. `extend_epochs` trains that
    many epochs beyond the last checkpoint: a completed run's folder is left as it was and the
    training goes on in a new run folder beside it; an interrupted run's goes on in its own folder
    (nothing finished is overwritten there). `force` accepts a changed config or dataset."""
    run_dir = resolve_run(run)
    info = read_run(run_dir)
    status = _resumable(run_dir, info, extend_epochs, say)
    config = load_run_config(run_dir)
    last = run_dir / "checkpoints" / LAST
    state, changed = _saved_state(run_dir, last, config, force, say)
    done = state["epochs_done"] if state else 0
    if extend_epochs:
        config.train.epochs = done + extend_epochs
        for callback in (state or {}).get("callbacks", {}).values():
            callback.update({"wait": 0, "stopped_epoch": 0} if "wait" in callback else {})  # patience anew
        state = state and {**state, "stopped": False}
    # Stopped (a kill, a full disk) after its last epoch, or early stopping's: what is left is the end.
    finished = state and (done >= config.train.epochs or state.get("stopped"))

    session = make_session(config, resumed=(last, state) if state else None)
    state, where = _position(run_dir, session, state, changed, force)
    where += "; its training is done: finishing it (model.keras, metrics.json, plots)" if finished else ""
    say(f"{run_dir.name}: resuming after epoch {done} of {config.train.epochs}{where}")
    say(session.data.rows_used())
    say(session.data.splits.sizes())
    if status == "completed":
        target = _continuation(run_dir, session, done, command)
        session.resumed = (target / "checkpoints" / LAST, state)
        say(f"{run_dir.name} stays as it was; the training goes on in {target}")
    else:
        target = run_dir
        if extend_epochs:
            config.plugins = keep_in_run(config.plugins, run_dir)[0]  # as the run folder names them
            atomic_write(run_dir / "config.yaml", dump_config(config))
        resumed = [*info.get("resumed", []), {"at": now(), "from_epoch": done, "command": command}]
        mark_running(run_dir, error=None, resumed=resumed)
    return session.fit(target, callbacks)


def _resumable(run_dir: Path, info: dict, extend_epochs: int | None, say: Callable[[str], None]) -> str:
    """The run's status, refused (in one line) where it cannot go on: completed without
    `--extend-epochs`, still running. A stopped run's folder is tidied first."""
    status = run_status(info)
    if status == "completed" and not extend_epochs:
        raise UsageError(
            f"{run_dir}: already completed ({info.get('epochs')} epochs); train it further with --extend-epochs N"
        )
    if status == "running":
        raise UsageError(f"{run_dir}: still running (process {info.get('pid')} on {info.get('host')})")
    if status != "completed":
        _tidy(run_dir, say)
    return status


def _saved_state(run_dir: Path, last: Path, config, force: bool, say: Callable[[str], None]):
    """(the state of the last checkpoint or None, the config keys changed since it was saved);
    a changed config is refused without `force`."""
    state = saved_state.read(last) if last.is_file() else None
    if state is None:
        say(f"{run_dir.name}: no finished epoch was saved; starting it again from epoch 1")
        return None, []
    changed = _differences(state["config"], config.model_dump(mode="json"))
    if changed and not force:
        raise UsageError(
            f"{run_dir}: config.yaml differs from the config its checkpoint was trained with at "
            f"{listed(changed)}; resume with --force to accept that"
        )
    return state, changed


def _position(run_dir: Path, session: Session, state: dict | None, changed: list[str], force: bool):
    """(the state the session goes on from, where in its epoch that is: said after "resuming
    after epoch N"), refusing changed data without `force`. A batch position means nothing in other
    batches or data, nor without the epoch's running metrics (a checkpoint of an older dlkit): that
    epoch then starts again."""
    if not state:
        return state, ""
    fingerprint, done = session.data.fingerprint, state["epochs_done"]
    if state["dataset_fingerprint"] != fingerprint and not force:
        raise UsageError(
            f"{run_dir}: the dataset changed since the checkpoint (fingerprint "
            f"{state['dataset_fingerprint'][:19]} is now {fingerprint[:19]}); "
            f"resume with --force to train on the new data"
        )
    if not state.get("step"):
        return state, ""
    forced = changed or state["dataset_fingerprint"] != fingerprint
    if forced or state.get("metrics") is None:
        state = {**state, "step": None}
        session.resumed = (session.resumed[0], state)
        why = "changed under --force" if forced else "saved without its running metrics"
        return state, f", restarting epoch {done + 1} from its start ({why})"
    return state, f", continuing epoch {done + 1} after batch {state['step']}"


def _tidy(run_dir: Path, say: Callable[[str], None]) -> None:
    """Refuse a symbolic link where going on would write (`WRITES`), and remove the scratch files
    of writes that a kill or a full disk stopped."""
    for name in WRITES:
        inside(run_dir, name)
    left = remove_scratch(run_dir)
    if left:
        say(f"{run_dir.name}: removed {len(left)} unfinished temporary file(s): {', '.join(p.name for p in left)}")


def _continuation(run_dir: Path, session: Session, done: int, command) -> Path:
    """A new run folder beside the completed `run_dir`, holding what resuming needs from it; its
    `run.json` names the parent run and the epoch it goes on from (a full disk leaves no half of it)."""
    target = create_run_dir(run_dir.parent, session.config.name)
    with writing(target, scratch=target):  # removed on any failure: it holds nothing of its own yet
        open_run(target, session, command=command, parent={"run": str(run_dir), "epoch": done})
        for name in CARRIED:
            if (run_dir / name).is_file():
                shutil.copyfile(run_dir / name, target / name)
    return target


#: Keys that may differ: extending changes the epochs; plug-ins are named by where they are (the
#: run folder's copies are checked against their sha256 in run.json instead).
SAME = ("train.epochs", "plugins")


def _differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """The dotted keys where two resolved configs differ (but `SAME`; a key that is null or empty in
    one and missing in the other, as earlier versions wrote unused keys, is no difference)."""
    keys = []
    for key in sorted(set(saved) | set(current), key=str):
        path = f"{prefix}{key}"
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += _differences(a, b, f"{path}.")
        elif a != b and path not in SAME and not (a in (None, []) and b in (None, [])):
            keys.append(path)
    return keys
