"""`dlkit init DATA` (no training): each kind of data gets a config that validates, with what was
inferred printed on stderr; an existing file is never overwritten; data it does not know is one line."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pytest
import yaml

from dlkit.data.table import Csv
from helpers.init import KINDS, _images, _init, _table

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_data_gets_a_config_that_validates(cli, tmp_path, kind):
    result, out = _init(cli, tmp_path, kind)
    _, dataset, task, said = KINDS[kind]
    assert result.exit_code == 0, result.output
    assert said in result.stderr  # what was inferred, and why
    assert result.stdout.strip() == str(out)
    config = yaml.safe_load(out.read_text())
    assert (config["data"]["dataset"], config["task"]) == (dataset, task)
    assert out.read_text().startswith("# Written by `dlkit init")
    assert cli("validate", out).exit_code == 0


def test_an_identifier_column_is_dropped_and_a_numeric_target_with_fractions_is_regression(cli, tmp_path):
    result, out = _init(cli, tmp_path, "table")
    assert yaml.safe_load(out.read_text())["data"]["options"]["drop"] == ["id"]
    assert "drop ['id']: a different value in every row" in result.stderr
    result, out = _init(cli, tmp_path, "regression")
    assert "task regression: 'price' holds numbers with fractions" in result.stderr
    assert "{type: dense, units: 1}" in out.read_text()


def test_a_regression_mlp_has_no_dropout_and_a_classifier_keeps_it(cli, tmp_path):
    layers = {}
    for kind in ("regression", "table"):
        result, out = _init(cli, tmp_path, kind)
        assert result.exit_code == 0, result.output
        layers[kind] = [layer.get("type") for layer in yaml.safe_load(out.read_text())["model"]["layers"]]
    assert layers["regression"] == ["dense", "dense", "dense"]
    assert layers["table"] == ["dense", "dropout", "dense", "dropout", "dense"]
    assert "# no dropout: it shifts predicted numbers at inference" in (tmp_path / "regression.yaml").read_text()


@pytest.mark.parametrize(
    ("x", "model", "said"),
    [
        (np.zeros((60, 5), "float32"), "{type: dense, units: 256", "rows of numeric features, for an MLP"),
        (np.zeros((60, 12, 2), "float32"), "{type: lstm, units: 32}", "(steps, features) sequences"),
        (np.zeros((60, 8, 8, 3), "float32"), "{type: conv2d", "images, for a CNN (not uint8: used as they are)"),
    ],
)
def test_npz_features_get_the_model_of_their_shape(cli, tmp_path, x, model, said):
    np.savez(tmp_path / "a.npz", x_train=x, y_train=np.arange(60) * 0.5)
    result = cli("init", tmp_path / "a.npz", "-o", tmp_path / "a.yaml")
    assert result.exit_code == 0, result.output
    assert said in result.stderr and "task regression: y_train holds numbers" in result.stderr
    written = (tmp_path / "a.yaml").read_text()
    assert model in written and ("rescale" in written) is False


def test_whole_number_classes_count_as_training_counts_them(cli, tmp_path):
    """Labels 1..3 are class indices 0..3 to training: four softmax units."""
    table = tmp_path / "grades.csv"
    table.write_text("x,grade\n" + "\n".join(f"{i / 10},{1 + i % 3}" for i in range(60)) + "\n")
    result = cli("init", table, "-o", tmp_path / "grades.yaml")
    assert result.exit_code == 0, result.output
    assert "{type: dense, units: 4, activation: softmax}" in (tmp_path / "grades.yaml").read_text()


def test_a_year_column_out_of_order_is_a_feature_of_a_table(cli, tmp_path):
    """`year, mileage, price` is a table of cars, not a series; sorted by year it would be a series."""
    rng = np.random.default_rng(6)
    rows = [f"{rng.integers(1990, 2024)},{rng.integers(0, 300_000)},{rng.normal(20_000, 5_000):.2f}" for _ in range(80)]
    (tmp_path / "cars.csv").write_text("year,mileage,price\n" + "\n".join(rows) + "\n")
    result = cli("init", tmp_path / "cars.csv", "-o", tmp_path / "cars.yaml")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((tmp_path / "cars.yaml").read_text())["data"]["dataset"] == "csv"
    ordered = sorted(rows)
    (tmp_path / "by_year.csv").write_text("year,mileage,price\n" + "\n".join(ordered) + "\n")
    result = cli("init", tmp_path / "by_year.csv", "-o", tmp_path / "by_year.yaml")
    assert yaml.safe_load((tmp_path / "by_year.yaml").read_text())["data"]["dataset"] == "sequence"


def test_task_option_replaces_the_inferred_task(cli, tmp_path):
    result, out = _init(cli, tmp_path, "series", "--task", "binary")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(out.read_text())
    assert (config["task"], config["data"]["options"]["label"]) == ("binary", "rises")
    assert "task binary, as --task says (the data suggested regression)" in result.stderr


def test_a_task_the_data_cannot_have_is_refused_with_nothing_written(cli, tmp_path):
    result, out = _init(cli, tmp_path, "images", "--task", "regression")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "dlkit: error: --task regression: for a folder of images (24 files), one of classification, binary"
    ]
    assert not out.exists()


def test_a_mistyped_task_gets_a_did_you_mean(cli, tmp_path):
    result, out = _init(cli, tmp_path, "table", "--task", "clasification")
    assert result.exit_code == 2
    assert "--task clasification: unknown task 'clasification'; did you mean 'classification'?" in result.stderr
    assert not out.exists()


def test_an_existing_config_is_not_overwritten(cli, tmp_path):
    out = tmp_path / "config.yaml"
    out.write_text("mine\n")
    result = cli("init", _table(tmp_path), "-o", out)
    assert result.exit_code == 2
    assert "exists; dlkit init does not overwrite it" in result.stderr
    assert out.read_text() == "mine\n"


def test_a_config_made_meanwhile_is_not_overwritten_either(cli, tmp_path, monkeypatch):
    """Another process writes the file after init looked and before it writes: the same line."""
    import dlkit.autoconfig as autoconfig

    out, render = tmp_path / "config.yaml", autoconfig.render

    def render_while_another_writes(*args):
        out.write_text("theirs\n")
        return render(*args)

    monkeypatch.setattr(autoconfig, "render", render_while_another_writes)
    result = cli("init", _table(tmp_path), "-o", out)
    assert result.exit_code == 2 and "exists; dlkit init does not overwrite it" in result.stderr
    assert out.read_text() == "theirs\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "hello\n", "not data dlkit init knows; give a folder of class sub-folders, a .csv"),
        ("one.csv", "x,label\n1,a\n2,a\n", "target column 'label' holds 1 distinct value(s); nothing to learn"),
        ("bad.npz", "not a zip", "cannot read as .npz"),
    ],
)
def test_data_it_does_not_know_is_one_line(cli, tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    result = cli("init", tmp_path / name, "-o", tmp_path / "out.yaml")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_a_folder_of_text_files_is_a_text_folder(cli, tmp_path):
    for label, word in (("pos", "good"), ("neg", "bad")):
        (tmp_path / "reviews" / label).mkdir(parents=True)
        for i in range(5):
            (tmp_path / "reviews" / label / f"{i}.txt").write_text(f"a {word} film, number {i}")
    result = cli("init", tmp_path / "reviews", "-o", tmp_path / "reviews.yaml")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "reviews.yaml").read_text())
    assert (config["data"]["dataset"], config["task"]) == ("text_folder", "binary")
    assert "text classes: the 2 sub-folders (neg, pos), 10 files" in result.stderr


def test_train_and_test_folders_are_the_data_and_its_test_split(cli, tmp_path):
    photos = _images(tmp_path)
    (photos / "train").mkdir()
    for name in ("class_0", "class_1"):
        (photos / name).rename(photos / "train" / name)
    (photos / "class_2").rename(photos / "test")
    (photos / "test" / "class_0").mkdir()
    for image in sorted((photos / "test").glob("*.png"))[:2]:
        image.rename(photos / "test" / "class_0" / image.name)
    result = cli("init", photos, "-o", tmp_path / "photos.yaml")
    assert result.exit_code == 0, result.output
    options = yaml.safe_load((tmp_path / "photos.yaml").read_text())["data"]["options"]
    assert (options["path"], options["test_path"]) == (str(photos / "train"), str(photos / "test"))
    assert "binary: the folder holds 2 classes" in result.stderr


def test_a_folder_without_class_folders_is_refused(cli, tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    result = cli("init", tmp_path / "flat", "-o", tmp_path / "out.yaml")
    assert result.exit_code == 1
    assert "no class sub-folders of images or .txt files" in result.stderr


def test_init_loads_no_tensorflow(tmp_path):
    data = _table(tmp_path)
    code = (
        "import sys; from typer.testing import CliRunner; from dlkit.cli import app; "
        f"r = CliRunner().invoke(app, ['init', {str(data)!r}, '-o', {str(tmp_path / 'c.yaml')!r}]); "
        "assert r.exit_code == 0, r.output; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(("rows", "batch"), [(100, 32), (20_000, 64), (53_940, 128), (1_000_000, 512)])
def test_a_tables_batch_grows_with_its_rows(rows, batch):
    from dlkit.autoconfig.table_recipe import table_batch

    assert table_batch(rows) == batch


def test_a_table_gets_the_measured_recipe_and_tune_adds_a_space_that_validates(cli, tmp_path):
    rng = np.random.default_rng(0)
    rows = 6_000
    x = rng.normal(size=(rows, 3))
    lines = ["a,b,c,price"] + [f"{a:.3f},{b:.3f},{c:.3f},{abs(a + b) * 100 + 5:.2f}" for a, b, c in x]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    plain = cli("init", tmp_path / "t.csv", "--target", "price", "-o", tmp_path / "plain.yaml")
    assert plain.exit_code == 0, plain.output
    config = yaml.safe_load((tmp_path / "plain.yaml").read_text())
    assert config["data"]["batch_size"] == 32 and "tune" not in config
    assert [layer.get("units") for layer in config["model"]["layers"]] == [256, 256, 1]  # a number: no dropout
    assert config["train"]["optimizer"]["type"] == "adamw"
    assert [c["type"] for c in config["train"]["callbacks"]] == ["reduce_lr_on_plateau", "early_stopping"]
    assert config["train"]["callbacks"][1]["patience"] == 12
    assert config["data"]["options"]["numeric_encoding"] == "piecewise_linear"  # docs/tables.md measures it
    assert "piecewise-linear embeddings" in plain.stderr

    tuned = cli("init", tmp_path / "t.csv", "--target", "price", "--tune", "-o", tmp_path / "tune.yaml")
    assert tuned.exit_code == 0, tuned.output
    assert "tune it with: dlkit tune" in tuned.stderr
    config = yaml.safe_load((tmp_path / "tune.yaml").read_text())
    assert config["tune"]["trials"] == 20 and config["tune"]["metric"] == "val_loss"
    space = config["tune"]["space"]
    assert space["model.layers.0.units"]["choices"] == space["model.layers.1.units"]["choices"] == [128, 256, 512]
    assert space["data.batch_size"]["choices"] == [32, 64] and not any(key.endswith(".rate") for key in space)
    assert space["data.options.numeric_encoding"]["choices"] == ["standardize", "piecewise_linear", "periodic"]
    encodings = typing.get_args(Csv.model_fields["numeric_encoding"].annotation)  # every one the loader takes
    assert sorted(space["data.options.numeric_encoding"]["choices"]) == sorted(encodings)
    assert cli("validate", tmp_path / "tune.yaml").exit_code == 0


def test_tune_is_for_tables_only(cli, tmp_path):
    photos = _images(tmp_path)
    result = cli("init", photos, "--tune", "-o", tmp_path / "c.yaml")
    assert result.exit_code == 2 and "--tune: writes a search space for a table" in result.stderr
    assert not (tmp_path / "c.yaml").exists()


def test_a_classifiers_tune_space_names_its_dropout_layers(cli, tmp_path):
    tuned = cli("init", _table(tmp_path), "--tune", "-o", tmp_path / "tune.yaml")
    assert tuned.exit_code == 0, tuned.output
    config = yaml.safe_load((tmp_path / "tune.yaml").read_text())
    space, layers = config["tune"]["space"], config["model"]["layers"]
    for key in [k for k in space if k.startswith("model.layers.")]:
        index, field = key.split(".")[2:]
        assert field in layers[int(index)], key  # each key names a field its layer has
    assert {"model.layers.1.rate", "model.layers.3.rate", "model.layers.2.units"} <= set(space)
    assert cli("validate", tmp_path / "tune.yaml").exit_code == 0


def test_a_table_of_categories_alone_gets_no_numeric_encoding(cli, tmp_path):
    rng = np.random.default_rng(0)
    rows = ["colour,size,label"] + [
        f"{c},{s},{'yes' if c == 'red' else 'no'}"
        for c, s in zip(rng.choice(["red", "blue", "green"], 60), rng.choice(["S", "M", "L"], 60), strict=True)
    ]
    (tmp_path / "cats.csv").write_text("\n".join(rows) + "\n")
    result = cli("init", tmp_path / "cats.csv", "--target", "label", "-o", tmp_path / "c.yaml")
    assert result.exit_code == 0, result.output
    options = yaml.safe_load((tmp_path / "c.yaml").read_text())["data"]["options"]
    assert "numeric_encoding" not in options and "0 numeric" in result.stderr
