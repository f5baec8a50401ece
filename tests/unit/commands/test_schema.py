"""`dlkit schema`: the JSON Schema editors read; the shipped configs validate with it, typos do not."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from conftest import REPO
from dlkit.commands.schema import REGENERATE, SHIPPED

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))

MODELINE = f"# yaml-language-server: $schema=../{SHIPPED}"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads((REPO / SHIPPED).read_text())


@pytest.fixture(scope="module")
def validator(shipped):
    jsonschema.Draft7Validator.check_schema(shipped)
    return jsonschema.Draft7Validator(shipped)


def errors(validator, config: dict) -> list[tuple[str, str]]:
    return [(".".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(config)]


def test_the_shipped_schema_is_what_dlkit_schema_prints(cli, tmp_path):
    # A process of its own: plug-ins other tests loaded stay registered in this one.
    made = subprocess.run([sys.executable, "-m", "dlkit", "schema"], capture_output=True, text=True, cwd=REPO)
    assert made.returncode == 0, made.stderr
    assert made.stdout == (REPO / SHIPPED).read_text(), f"{SHIPPED} is out of date; regenerate it: {REGENERATE}"
    result = cli("schema")
    assert cli("schema", "-o", tmp_path / "s.json").exit_code == 0
    assert (tmp_path / "s.json").read_text() == result.stdout
    result = cli("schema", "-o", tmp_path / "missing" / "s.json")
    assert result.exit_code == 2 and "no folder" in result.stderr and not (tmp_path / "missing").exists()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_names_and_passes_the_schema(validator, path):
    assert path.read_text().splitlines()[0] == MODELINE, f"{path.name}: make its first line {MODELINE}"
    assert errors(validator, yaml.safe_load(path.read_text())) == []


def quickstart() -> dict:
    return yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())


def test_a_layer_argument_typo_is_rejected(validator):
    config = quickstart()
    conv = config["model"]["layers"][0]
    conv["filterz"] = conv.pop("filters")
    found = errors(validator, config)
    assert ("model.layers.0", "Additional properties are not allowed ('filterz' was unexpected)") in found
    conv["filters"] = "many"
    del conv["filterz"]
    assert errors(validator, config) == [("model.layers.0.filters", "'many' is not of type 'integer'")]


@pytest.mark.parametrize(
    "change, where, message",
    [
        (lambda c: c["model"]["layers"].append({"type": "densse"}), "model.layers.8.type", "'densse' is not one of"),
        (lambda c: c["model"]["layers"].append({"type": "dense"}), "model.layers.8", "'units' is a required property"),
        (lambda c: c["data"].update(dataset="digitz"), "data.dataset", "'digitz' is not one of"),
        (lambda c: c["data"].update(options={"pth": "x"}), "data.options", "('pth' was unexpected)"),
        (lambda c: c["data"].update(dataset="text_csv", options={"path": "a.csv", "label_column": "y"}),
         "data.options", "('label_column' was unexpected)"),
        (lambda c: c["train"].update(generator_optimizer="adam"), "train", "('generator_optimizer' was unexpected)"),
        (lambda c: c.update(task="classificaton"), "task", "'classificaton' is not one of"),
        (lambda c: c.update(trian={}), "", "('trian' was unexpected)"),
        (lambda c: c.pop("model"), "", "'model' is a required property"),
    ],
)  # fmt: skip
def test_mistakes_are_rejected_where_they_are(validator, change, where, message):
    config = quickstart()
    change(config)
    found = errors(validator, config)
    assert any(path == where and message in text for path, text in found), found


def test_what_dlkit_takes_the_schema_takes(validator):
    config = quickstart()
    config["model"]["layers"][0]["type"] = "Conv2D"  # Keras's class name
    config["model"]["layers"][0]["kernel_size"] = [3, 3]
    config["train"]["optimizer"] = {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9}
    config["data"].update(dataset="text_csv", options={"path": "a.csv", "target": "y", "max_tokens": 100})
    assert errors(validator, config) == []
    # Mappings deep-merge over the base's: any key may come from there, but typos are still typos.
    based = {"extends": "quickstart.yaml", "data": {"batch_size": 64}, "train": {"checkpoint": {"mode": "min"}}}
    assert errors(validator, based) == []
    based["data"] = {"batch_sise": 64, "options": {"target": "y"}}
    assert errors(validator, based) == [("data", "Additional properties are not allowed ('batch_sise' was unexpected)")]
    based = {"extends": "quickstart.yaml", "task": "regression", "train": {"metrics": [{"type": "mea"}]}}
    assert [where for where, _ in errors(validator, based)] == ["train.metrics"]
    based["train"]["metrics"][0]["type"] = "mae"
    assert errors(validator, based) == []
    gan = yaml.safe_load((REPO / "configs" / "digits_gan.yaml").read_text())
    gan["train"]["optimizer"] = {"type": "adam"}  # a supervised task's key
    assert any("'optimizer' was unexpected" in text for _, text in errors(validator, gan))


def test_making_the_schema_loads_no_tensorflow():
    code = (
        "import sys; from dlkit.commands.schema import schema; schema(); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["False", "False"]


def test_plugins_components_are_in_the_schema(cli, tmp_path):
    from helpers.plugins import doc_files

    plugin = doc_files(tmp_path)["counts.py"]
    result = cli("schema", "--plugin", plugin)
    assert result.exit_code == 0, result.stderr
    made = json.loads(result.stdout)
    assert "counts" in made["properties"]["task"]["enum"]
    assert "poisson" in made["definitions"]["registry.losses"]["then"]["enum"]
