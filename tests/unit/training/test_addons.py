"""Training add-ons as a registry: `ADDONS` lists distill, prune, adversarial, calibrate and ensemble;
`addons_for` picks exactly those a config's sections switch on (none for a config without them, a
GAN's included); the trainer names none of them and probes no config section for them. What each
add-on does in a run is proven by its own tests (test_distill, test_prune, test_adversarial,
test_calibration, test_ensemble)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, TINY, write_config

TRAINING = REPO / "dlkit" / "training"
PRUNE = {"target_sparsity": 0.5, "start_epoch": 0, "end_epoch": 2, "layers": ["dense"]}
ADVERSARIAL = {"method": "fgsm", "eps": 0.1}
TABM = [{"type": "tabm", "units": [8], "k": 2}, {"type": "ensemble_head", "units": 10, "activation": "softmax"}]


def _config(tmp_path: Path, train: dict | None = None, **top):
    from dlkit.config import load_config

    data = {**TINY, "train": {**TINY["train"], **(train or {})}, **top}
    return load_config(write_config(tmp_path, data))


def _picked(config) -> list[str]:
    from dlkit.training.addons import addons_for

    return [type(addon).type_name for addon in addons_for(config)]


def test_the_registry_lists_the_add_ons():
    from dlkit.core.registries import ADDONS, REGISTRIES
    from dlkit.training.addons import Addon

    assert ADDONS.names() == ["adversarial", "calibrate", "distill", "ensemble", "prune"]
    assert all(issubclass(ADDONS.get(name), Addon) for name in ADDONS.names())
    assert "addons" not in REGISTRIES  # nothing a config names: not in `dlkit list`


@pytest.mark.parametrize(
    "train, top, picked",
    [
        ({}, {}, []),
        ({"prune": PRUNE}, {}, ["prune"]),
        ({"distill": {"teacher": "runs/latest"}}, {}, ["distill"]),
        ({"adversarial": ADVERSARIAL}, {}, ["adversarial"]),
        ({}, {"eval": {"calibrate": "temperature"}}, ["calibrate"]),
        ({"prune": PRUNE, "adversarial": ADVERSARIAL}, {}, ["adversarial", "prune"]),
        (
            {"prune": PRUNE, "adversarial": ADVERSARIAL, "distill": {"teacher": "runs/latest"}},
            {"eval": {"calibrate": "temperature"}},
            ["adversarial", "calibrate", "distill", "prune"],
        ),
        # A model ending in an ensemble head whose members learn from their own losses.
        ({}, {"model": {"layers": ["flatten", *TABM]}}, ["ensemble"]),
        ({}, {"model": {"layers": ["flatten", TABM[0], {**TABM[1], "member_loss": False}]}}, []),
        ({"ensemble": {"seeds": 2}}, {}, ["ensemble"]),  # copies of the model (a deep ensemble)
        # Sections set to null, and a phased run: phases are the trainer's own, not an add-on.
        ({"prune": None, "distill": None, "phases": [{"epochs": 1}, {"epochs": 1}]}, {}, []),
    ],
)
def test_addons_for_picks_exactly_those_the_config_switches_on(tmp_path, train, top, picked):
    assert _picked(_config(tmp_path, train, **top)) == picked


def test_a_gan_config_has_none_of_their_sections_and_no_add_on():
    from dlkit.config import load_config

    config = load_config(REPO / "configs" / "digits_gan.yaml")
    assert not hasattr(config.train, "prune") and not hasattr(config.eval, "calibrate")
    assert _picked(config) == []


def test_each_add_on_is_made_for_its_config(tmp_path):
    from dlkit.training.addons import addons_for

    config = _config(tmp_path, {"prune": PRUNE})
    (prune,) = addons_for(config)
    assert prune.config is config
    assert prune.best_from() == PRUNE["end_epoch"] - 1  # a pruned model is final only at its target


def test_the_trainer_names_no_add_on_and_probes_no_config_section_for_one():
    """Read from the source, as tests/unit/test_architecture.py reads the imports: the trainer loops over
    `addons_for(config)`, so a new add-on is a new file it never names."""
    from dlkit.core.registries import ADDONS

    source = (TRAINING / "trainer.py").read_text()
    for name in ADDONS.names():
        kind = ADDONS.get(name)
        # The name's stem (`prun` of prune: pruning, Pruning), its class and its module.
        for word in (name[:-1], kind.__name__, kind.__module__.rsplit(".", 1)[-1]):
            found = [line for line in source.splitlines() if re.search(rf"\b{word}", line, re.IGNORECASE)]
            assert found == [], f"trainer.py names the add-on {name}: {found}"
    addons = {f"dlkit.training.addons.{path.stem}" for path in (TRAINING / "addons").glob("[!_]*.py")}
    for module in ("trainer.py", "finish.py"):
        source = (TRAINING / module).read_text()
        imported = {  # `from a import b` and `import a.b` alike
            name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
            for name in (alias.name, f"{getattr(node, 'module', '')}.{alias.name}", getattr(node, "module", None))
        }
        assert imported & addons == set(), module
        assert "getattr(config." not in source and "getattr(self.config." not in source, module


def test_listing_and_picking_add_ons_loads_no_tensorflow(tmp_path):
    """The add-ons' modules import Keras only when they work: a config's add-ons are known without it."""
    path = write_config(tmp_path, {**TINY, "train": {**TINY["train"], "prune": PRUNE}})
    code = (
        "import sys; from dlkit.config import load_config; from dlkit.training.addons import addons_for; "
        f"assert [type(a).type_name for a in addons_for(load_config({str(path)!r}))] == ['prune']; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'loaded'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
