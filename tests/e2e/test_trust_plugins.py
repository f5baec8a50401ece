"""Code from a run folder runs only when trusted: a run's plug-ins are imported on the machine
that trained it, and elsewhere (a fresh DLKIT_CACHE_DIR stands for a colleague's machine) only
with --trust-plugins or after `dlkit trust RUN`; a config naming code outside its run folder is
refused either way; `dlkit runs` and `dlkit compare` import nothing. The plug-in leaves a marker
file each time it is imported, so "refused" means its code did not run."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import dlkit.core.plugins
from conftest import REPO, TINY, write_config
from dlkit.cli import app

PLUGIN = '''"""A callback that does nothing; importing this file writes $TRUST_MARKER."""
import os
from pathlib import Path

import dlkit
from dlkit.components.callbacks import CALLBACKS, Callback

if os.environ.get("TRUST_MARKER"):
    Path(os.environ["TRUST_MARKER"]).write_text("imported")

if "trust_marker" not in CALLBACKS:  # imported again by each test (see `marker`)

    @dlkit.register_callback()
    class TrustMarker(Callback):
        """Does nothing."""

        def build(self, run_dir):
            import keras

            return keras.callbacks.Callback()
'''


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One tiny run trained with the plug-in (on this machine: the session's cache trusts it)."""
    folder = tmp_path_factory.mktemp("trust")
    (folder / "marker.py").write_text(PLUGIN)
    train = {**TINY["train"], "epochs": 1, "callbacks": ["trust_marker"]}
    config = write_config(folder, {**TINY, "plugins": ["marker.py"], "train": train})
    result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    assert result.exit_code == 0, result.stderr
    from sklearn.datasets import load_digits

    Image.fromarray(np.round(load_digits().images[3] * 255 / 16).astype("uint8")).save(folder / "digit.png")
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def run(trained, tmp_path) -> Path:
    """A copy of the trained run (as sent to a colleague), for this test to change; a digit beside it."""
    shutil.copyfile(trained.parents[1] / "digit.png", tmp_path / "digit.png")
    return Path(shutil.copytree(trained, tmp_path / trained.name))


@pytest.fixture
def marker(tmp_path, monkeypatch) -> Path:
    """The file the plug-in writes when imported. This process forgets it imported the plug-in,
    so that any import in this test runs the file again."""
    path = tmp_path / "imported"
    monkeypatch.setenv("TRUST_MARKER", str(path))
    monkeypatch.setattr(dlkit.core.plugins, "_loaded", {})
    return path


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """Another machine: a cache folder (and trust store) of its own."""
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "colleague-cache"))
    monkeypatch.delenv("DLKIT_TRUST_PLUGINS", raising=False)
    return tmp_path / "colleague-cache"


def opening(command: str, run: Path) -> list:
    """The arguments of `command` opening `run` (cheap ones: a few examples, one epoch)."""
    return {
        "predict": ["predict", run.parent / "digit.png", "--run", run, "--json"],
        "eval": ["eval", run],
        "export": ["export", run, "--format", "saved_model", "--out", run.parent / "exported"],
        "attack": ["attack", run, "--method", "fgsm", "--eps", "0.1", "-n", "20"],
        "generate": ["generate", run],
        "reproduce": ["reproduce", run, "-q"],
        "resume": ["train", "--resume", run, "--extend-epochs", "1", "-q"],
        "validate": ["validate", run / "config.yaml"],
    }[command]


def refusal(result, run: Path) -> str:
    """The one line of a refused untrusted plug-in: the file, its sha256 and both ways to trust it."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    sha = json.loads((run / "run.json").read_text())["plugins"][0]["sha256"]
    assert str(run / "plugins" / "marker.py") in lines[0] and sha in lines[0] and len(sha) == 71
    assert "--trust-plugins" in lines[0] and f"dlkit trust {run}" in lines[0]
    return lines[0]


COMMANDS = ["predict", "eval", "export", "attack", "generate", "reproduce", "resume", "validate"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_from_elsewhere_is_refused_before_its_plugin_runs(command, run, marker, elsewhere, cli):
    refusal(cli(*opening(command, run)), run)
    assert not marker.exists()


def test_serve_refuses_it_too(run, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "DLKIT_CACHE_DIR": str(tmp_path / "colleague-cache")}
    env["TRUST_MARKER"] = str(tmp_path / "imported")
    argv = [sys.executable, "-m", "dlkit", "serve", str(run), "--port", "0"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    refusal(_Result(done), run)
    assert not (tmp_path / "imported").exists()


class _Result:
    """A finished subprocess as `refusal` reads a CLI result."""

    def __init__(self, done: subprocess.CompletedProcess):
        self.exit_code, self.stderr = done.returncode, done.stderr


@pytest.mark.parametrize("command", ["predict", "eval", "export", "attack"])
def test_trust_plugins_opens_it_and_trusts_nothing_for_later(command, run, marker, elsewhere, cli):
    result = cli(*opening(command, run), "--trust-plugins")
    assert result.exit_code == 0, result.stderr
    assert marker.read_text() == "imported"
    marker.unlink()
    refusal(cli("eval", run), run)  # the flag was for that command only
    assert not marker.exists() and "DLKIT_TRUST_PLUGINS" not in os.environ


def test_dlkit_trust_shows_the_plugins_then_trusts_them(run, marker, elsewhere, cli):
    asked = cli("trust", run)  # no terminal to ask on, no --yes
    assert asked.exit_code == 2 and asked.stderr.strip().count("\n") == 0
    assert "no terminal to ask on" in asked.stderr and f"dlkit trust {run} --yes" in asked.stderr
    sha = json.loads((run / "run.json").read_text())["plugins"][0]["sha256"]
    assert f"{run / 'plugins' / 'marker.py'}  {sha}  {len(PLUGIN):,} bytes" in asked.stdout
    assert "NOT trusted" in asked.stdout and "| import dlkit" in asked.stdout
    refusal(cli("eval", run), run)

    trusted = cli("trust", run, "--yes")
    assert trusted.exit_code == 0 and trusted.stdout.strip().endswith("1 plug-in trusted on this machine")
    assert not marker.exists()  # shown, not imported
    for command in ("predict", "eval", "export", "attack"):
        result = cli(*opening(command, run))
        assert result.exit_code == 0, (command, result.stderr)
    assert marker.exists()
    assert "already trusted" in cli("trust", run).stdout


def test_dlkit_trust_asks_on_a_terminal(run, marker, elsewhere, monkeypatch):
    monkeypatch.setattr("dlkit.cli.trust._on_terminal", lambda: True)
    declined = CliRunner().invoke(app, ["trust", str(run)], input="n\n")
    assert declined.exit_code == 1 and "nothing trusted" in declined.stderr
    assert not (elsewhere / dlkit.core.plugins.STORE).exists()
    accepted = CliRunner().invoke(app, ["trust", str(run)], input="y\n")
    assert accepted.exit_code == 0 and "1 plug-in trusted on this machine" in accepted.stdout
    assert json.loads((run / "run.json").read_text())["plugins"][0]["sha256"] in dlkit.core.plugins.trusted()
    assert not marker.exists()


def test_the_machine_that_trained_it_opens_it_unchanged(run, marker, cli):
    for command in ("predict", "eval", "resume"):
        result = cli(*opening(command, run))
        assert result.exit_code == 0, (command, result.stderr)
        assert marker.read_text() == "imported"
        marker.unlink()
        dlkit.core.plugins._loaded.clear()


def _outside(run: Path, tmp_path: Path, how: str) -> str:
    """Make the run's config.yaml name a plug-in that is not its kept copy; what it now names."""
    evil = PLUGIN + "# not the run's own\n"  # another sha256: no import of the kept copy stands for it
    if how == "absolute":
        (tmp_path / "evil.py").write_text(evil)
        named = str(tmp_path / "evil.py")
    elif how == "parent":
        (run.parent / "evil.py").write_text(evil)
        named = "../evil.py"
    elif how == "unlisted":
        (run / "plugins" / "evil.py").write_text(evil)
        named = "plugins/evil.py"
    else:  # a link in plugins/ leading out of the folder, to the same bytes run.json lists
        (tmp_path / "linked.py").write_text(PLUGIN)
        (run / "plugins" / "marker.py").unlink()
        (run / "plugins" / "marker.py").symlink_to(tmp_path / "linked.py")
        named = "plugins/marker.py"
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("- plugins/marker.py", f"- {named}"))
    return named


@pytest.mark.parametrize("how", ["absolute", "parent", "unlisted", "link"])
def test_code_outside_the_run_folder_is_refused_even_when_trusted(how, run, marker, tmp_path, cli):
    named = _outside(run, tmp_path, how)
    for args in (["eval", run], ["predict", "x.png", "--run", run, "--trust-plugins"]):
        result = cli(*args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.stderr
        assert re.search(rf"config\.yaml:\d+: plugins\.0: {re.escape(str(run / named))}: ", lines[0]), lines[0]
        assert "not one of the run folder's own plug-ins" in lines[0] and "--trust-plugins or not" in lines[0]
    refused = cli("trust", run, "--yes")
    assert refused.exit_code == 2 and "not one of the run folder's own plug-ins" in refused.stderr
    assert not marker.exists()


def test_runs_and_compare_import_nothing(trained, marker, elsewhere, tmp_path, cli):
    root = tmp_path / "theirs"
    first = Path(shutil.copytree(trained, root / trained.name))
    second = Path(shutil.copytree(trained, root / f"{trained.name}-2"))
    _outside(second, tmp_path, "absolute")
    config = second / "config.yaml"
    config.write_text(config.read_text().replace("batch_size: 64", "batch_size: 32"))
    table = cli("runs", root, "--sort", "data.batch_size")
    assert table.exit_code == 0 and first.name in table.stdout and second.name in table.stdout, table.stderr
    compared = cli("compare", first, second, "--json", "--out", tmp_path / "compare.png")
    assert compared.exit_code == 0, compared.stderr
    differ = json.loads(compared.stdout)["config"]
    assert set(differ) == {"plugins.0", "data.batch_size"} and differ["data.batch_size"][second.name] == 32
    assert json.loads(compared.stdout)["metrics"]["test"]["accuracy"]["values"]
    assert not marker.exists()


def test_a_store_that_cannot_be_written_or_read_is_no_crash(run, marker, tmp_path, monkeypatch, capsys, cli):
    monkeypatch.setattr(dlkit.core.plugins, "_warned", False)
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "mine.py").write_text("# mine\n")
    kept, records = dlkit.core.plugins.keep_in_run([str(tmp_path / "mine.py")], tmp_path)  # as training does
    assert kept == ["plugins/mine.py"] and records[0]["sha256"].startswith("sha256:")
    warned = capsys.readouterr().err.strip().splitlines()
    assert len(warned) == 1 and "cannot record trusted plug-ins" in warned[0] and "--trust-plugins" in warned[0]
    refused = cli("trust", run, "--yes")
    assert refused.exit_code == 1 and "cannot record trusted plug-ins" in refused.stderr

    monkeypatch.setattr(dlkit.core.plugins, "_warned", False)
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "broken"))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / dlkit.core.plugins.STORE).write_text("{not json")
    result = cli("eval", run)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 2 and "cannot read the trusted plug-ins" in lines[0]
    assert "not trusted on this machine" in lines[1] and not marker.exists()


def test_serve_with_trust_plugins_serves_it_and_its_reloads(run, tmp_path):
    import httpx

    from helpers.serve import free_port, wait_until_serving

    second = Path(shutil.copytree(run, tmp_path / "second" / run.name))
    third = Path(shutil.copytree(run, tmp_path / "third" / run.name))
    _outside(third, tmp_path, "absolute")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env |= {"DLKIT_CACHE_DIR": str(tmp_path / "colleague-cache"), "TRUST_MARKER": str(tmp_path / "imported")}
    port = free_port()
    argv = [sys.executable, "-m", "dlkit", "serve", str(run), "--port", str(port), "--poll", "0", "--trust-plugins"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        wait_until_serving(client, process)
        assert (tmp_path / "imported").read_text() == "imported"
        (tmp_path / "imported").unlink()
        pixels = np.full((1, 8, 8), 128, "uint8").tolist()
        assert client.post("/v1/models/tiny:predict", json={"instances": pixels}).status_code == 200
        reloaded = client.post("/v1/models/tiny:reload", json={"run": str(second)}).json()["last_reload"]
        assert reloaded["outcome"] == "loaded", reloaded
        refused = client.post("/v1/models/tiny:reload", json={"run": str(third)}).json()["last_reload"]
        assert refused["outcome"] == "failed" and "not one of the run folder's own plug-ins" in refused["error"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert not (tmp_path / "imported").exists()  # the outside file never ran
