"""One name for the same thing across loaders, and each loader's options listed from its config
model (`dlkit list datasets --options NAME`, docs/datasets.md)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, TINY, write_config
from dlkit.core.registries import DATASETS
from dlkit.data.options import REGENERATE, markdown, options


def text_csv_config(tmp_path, **options) -> dict:
    (tmp_path / "reviews.csv").write_text("review,stars\n" + "\n".join(f"text {i},{i % 2}" for i in range(20)) + "\n")
    layers = [
        {"type": "embedding", "input_dim": 100, "output_dim": 4},
        "flatten",
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    data = {"dataset": "text_csv", "options": {"path": str(tmp_path / "reviews.csv"), **options}}
    return {**TINY, "data": data, "model": {"layers": layers}}


def test_text_csv_label_column_is_target(tmp_path, cli):
    config = text_csv_config(tmp_path, text_column="review", target="stars")
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
    config = text_csv_config(tmp_path, text_column="review", label_column="stars")
    result = cli("validate", write_config(tmp_path, config))
    assert result.exit_code == 2 and "Traceback" not in result.output + result.stderr
    assert "data.options.label_column: renamed; did you mean 'target'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300


def test_labels_are_target_and_inputs_features_in_every_loader():
    old = {"label_column", "target_column", "label_col", "feature_columns", "input_columns", "y_column"}
    for name in DATASETS.names():
        assert not old & set(DATASETS.get(name).model_fields), name


def test_every_option_has_a_type_and_a_line():
    for name in DATASETS.names():
        for option in options(name):
            assert option.type and option.type != "any" and option.about and "\n" not in option.about, (name, option)
    csv = {option.key: option for option in options("csv")}
    assert csv["path"].default == "required" and csv["path"].type == "path"
    assert csv["embedding_dim"].type == "int > 0 | 'auto'" and csv["embedding_dim"].default == "8"
    assert csv["categorical_encoding"].type == "'one_hot' | 'embedding'"
    assert csv["categorical_encoding"].about.startswith("How categorical columns enter the model")


def test_list_datasets_options(cli):
    result = cli("list", "datasets", "--options", "text_csv")
    assert result.exit_code == 0
    for key in ("text_column", "target", "max_tokens", "20000", "The column of labels"):
        assert key in result.stdout
    assert "label_column" not in result.stdout
    result = cli("list", "datasets", "--options", "text_cvs")
    assert result.exit_code == 2 and "did you mean 'text_csv'?" in result.stderr
    result = cli("list", "layers", "--options", "csv")
    assert result.exit_code == 2 and "--options is for datasets" in result.stderr


def test_docs_datasets_md_is_up_to_date():
    # A process of its own: plug-ins other tests loaded stay registered in this one.
    made = subprocess.run([sys.executable, "-m", "dlkit.data.options"], capture_output=True, text=True, cwd=REPO)
    page = (REPO / "docs" / "datasets.md").read_text()
    assert made.returncode == 0 and page == made.stdout, f"docs/datasets.md is out of date; regenerate it: {REGENERATE}"
    assert markdown().startswith(page.split("\n## ")[0])
    assert all(f"## {name}\n" in page for name in DATASETS.names())


def test_a_run_folder_of_an_earlier_version_reads_with_the_new_name(tmp_path):
    from dlkit.config.loader import load_run_config

    config = text_csv_config(tmp_path, text_column="review", label_column="stars")
    run = tmp_path / "run"
    run.mkdir()
    write_config(run, config)
    options = load_run_config(run).data.options
    assert options["target"] == "stars" and "label_column" not in options
