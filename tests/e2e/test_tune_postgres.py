"""`dlkit tune --storage postgresql://...` on a real PostgreSQL server (tests/helpers/pg.py starts one):
two processes with their own --runs-dir, as two machines would, share one study."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TINY, write_config
from helpers.pg import free_port, need_driver, pg_url, postgres  # noqa: F401 (fixtures)
from helpers.tune_race import start_together

SPACE = {
    "train.optimizer.learning_rate": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
    "model.layers.0.filters": {"type": "int", "low": 4, "high": 12, "step": 4},
}

#: Seconds without an epoch after which the other machine's trial is taken as lost (1800 by default):
#: above a trial's start plus one epoch of TINY on a busy 2-core machine, short enough to wait for.
LOST_AFTER = 20


def own_host_names() -> bool:
    """Whether a process here may take its own host name (a UTS namespace: root and `unshare`)."""
    return (
        os.geteuid() == 0
        and shutil.which("unshare") is not None
        and subprocess.run(["unshare", "--uts", "true"], capture_output=True).returncode == 0
    )


HOSTS = own_host_names()


def tune_config(tmp_path: Path, trials: int) -> Path:
    data = {**TINY, "tune": {"metric": "val_accuracy", "trials": trials, "sampler": "random", "pruner": "none",
                             "lost_after": LOST_AFTER, "space": SPACE}}  # fmt: skip
    return write_config(tmp_path, data)


def machine(tmp_path: Path, name: str, config: Path, url: str) -> subprocess.Popen:
    """`dlkit tune` as machine `name` would run it: its own runs folder and, where this test may
    (root, `unshare`), its own host name, so the other process sees it as another machine."""
    command = [sys.executable, "-m", "dlkit", "tune", str(config), "--storage", url]
    command += ["--runs-dir", str(tmp_path / name)]
    if HOSTS:
        command = ["unshare", "--uts", "sh", "-c", f'hostname {name} && exec "$@"', "sh", *command]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True)  # fmt: skip


def finish(process: subprocess.Popen, tmp_path: Path, name: str, timeout: float = 400) -> None:
    code = process.wait(timeout=timeout)
    assert code == 0, (tmp_path / f"{name}.log").read_text()[-3000:]


def study_trials(url: str) -> list:
    import optuna

    return optuna.load_study(study_name="tiny-tune", storage=url).get_trials(deepcopy=False)


def run_folders(tmp_path: Path, trial, machines=("machine-a", "machine-b")) -> list[Path]:
    """The machines' folders of one trial (its run folder is made where it ran)."""
    return [p for m in machines if (p := tmp_path / m / "tiny-tune" / trial.user_attrs["run"]).is_dir()]


def retried_on(trials, lost) -> str:
    return next(t.user_attrs["host"] for t in trials if t.params == lost.params and t.state.name == "COMPLETE")


def test_ci_fails_rather_than_skips_without_a_server(monkeypatch):
    from helpers.pg import REQUIRED, need

    monkeypatch.delenv(REQUIRED, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server"):
        need("no server")
    monkeypatch.setenv(REQUIRED, "1")
    with pytest.raises(pytest.fail.Exception, match="no server"):
        need("no server")
    need(None)


def test_a_missing_driver_is_one_line_naming_the_extra(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    config = tune_config(tmp_path, 2)
    result = cli("tune", config, "--runs-dir", tmp_path / "runs", "--storage", "postgresql://u:secret@127.0.0.1/db")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "dlkit: error: --storage postgresql://u:***@127.0.0.1/db: the PostgreSQL driver psycopg is not installed; "
        'pip install "dlkit[postgres]"'
    )
    assert not (tmp_path / "runs" / "tiny-tune").exists()


def test_a_server_that_does_not_answer_is_one_line_within_the_connect_timeout(cli, tmp_path):
    need_driver()
    config = tune_config(tmp_path, 2)
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/db"
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        quiet = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/db"
        for url, refused in ((closed, "Connection refused"), (quiet, "timeout expired")):
            start = time.monotonic()
            result = cli("tune", config, "--runs-dir", tmp_path / "runs", "--storage", url)
            took = time.monotonic() - start
            assert result.exit_code == 2, result.stdout
            assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300, result.stderr
            assert result.stderr.startswith(f"dlkit: error: --storage {url}: cannot open the study: ")
            assert refused in result.stderr
            assert took < 20  # storage.CONNECT_TIMEOUT (10 s), not the system's TCP timeout
            assert not (tmp_path / "runs" / "tiny-tune").exists()


def test_workers_starting_together_on_a_new_study_all_open_it(tmp_path, pg_url):  # noqa: F811
    assert start_together(tmp_path, pg_url) == []


@pytest.mark.slow
def test_two_machines_share_one_study_without_extra_or_repeated_trials(tmp_path, pg_url):  # noqa: F811
    config = tune_config(tmp_path, 6)
    a, b = (machine(tmp_path, name, config, pg_url) for name in ("machine-a", "machine-b"))
    finish(a, tmp_path, "machine-a")
    finish(b, tmp_path, "machine-b")

    trials = study_trials(pg_url)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 6  # the advisory lock: not one trial more
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 6
    where = [run_folders(tmp_path, t) for t in trials]
    assert all(len(folders) == 1 for folders in where), where  # each trial ran on one machine only
    for folders in where:
        assert json.loads((folders[0] / "run.json").read_text())["status"] == "completed"
    assert {folders[0].parts[-3] for folders in where} == {"machine-a", "machine-b"}  # both worked
    best = [(tmp_path / m / "tiny-tune" / "best.yaml").read_text() for m in ("machine-a", "machine-b")]
    assert best[0] == best[1]
    summaries = [json.loads((tmp_path / m / "tiny-tune" / "tune.json").read_text()) for m in ("machine-a", "machine-b")]
    assert summaries[0]["best"] == summaries[1]["best"] and summaries[0]["states"]["complete"] == 6
    assert summaries[0]["storage"] == pg_url


@pytest.mark.slow
def test_a_trial_of_a_machine_killed_mid_trial_is_retried_by_the_other(tmp_path, pg_url):  # noqa: F811
    config = tune_config(tmp_path, 4)
    b = machine(tmp_path, "machine-b", config, pg_url)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "machine-b" / "tiny-tune").glob("trial-*")):  # b has started its first trial
        assert time.monotonic() < deadline and b.poll() is None, (tmp_path / "machine-b.log").read_text()
        time.sleep(0.1)
    a = machine(tmp_path, "machine-a", config, pg_url)
    os.killpg(b.pid, signal.SIGKILL)  # the machine is gone: no Ctrl-C, no last word to the database
    b.wait()
    killed = next(tmp_path.glob("machine-b/tiny-tune/trial-*")).name
    finish(a, tmp_path, "machine-a")  # waits for b's trial until tune.lost_after, then repeats it

    trials = study_trials(pg_url)
    lost = [t for t in trials if t.state.name == "FAIL"]
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 4 and len(lost) == 1 and len(trials) == 5, [(t.number, t.state.name) for t in trials]
    assert lost[0].user_attrs["run"] == killed and lost[0].user_attrs["interrupted"]
    if HOSTS:  # found lost by its heartbeat, as on another machine (else by its process, as here)
        assert lost[0].user_attrs["host"] == "machine-b" and retried_on(trials, lost[0]) == "machine-a"
    retried = [t for t in done if t.params == lost[0].params]
    assert len(retried) == 1 and run_folders(tmp_path, retried[0]) == [tmp_path / "machine-a" / "tiny-tune" /
                                                                       retried[0].user_attrs["run"]]  # fmt: skip
    assert "its process is gone; its values go into a new trial" in (tmp_path / "machine-a.log").read_text()

    back = machine(tmp_path, "machine-b", config, pg_url)  # the machine comes back: nothing left to run
    finish(back, tmp_path, "machine-b")
    assert len(study_trials(pg_url)) == 5
    best = [(tmp_path / m / "tiny-tune" / "best.yaml").read_text() for m in ("machine-a", "machine-b")]
    assert best[0] == best[1] and yaml.safe_load(best[0])["name"] == "tiny"


def test_a_trial_taken_as_lost_elsewhere_stops_at_its_next_epoch(pg_url):  # noqa: F811
    import keras
    import optuna
    from optuna.trial import TrialState

    from dlkit.tuning.trials import _reporter

    study = optuna.create_study(study_name="slow", storage=pg_url)
    trial = study.ask()
    study.tell(trial.number, state=TrialState.FAIL)  # another machine found no epoch for tune.lost_after
    reporter = _reporter(trial, "val_accuracy")
    reporter.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    reporter.on_epoch_end(0, {"val_accuracy": 0.5})
    assert reporter.taken and reporter.model.stop_training
    assert study.trials[0].state == TrialState.FAIL and study.trials[0].intermediate_values == {}
