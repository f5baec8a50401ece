"""`dlkit init`'s guesses train: a year passed over, a derived two-valued target, images and masks."""

from __future__ import annotations

from pathlib import Path

from helpers.init_guess import _fair, _init, _penguins


def test_a_year_is_passed_over_out_loud_and_the_config_trains(cli, tmp_path):
    result, out, config = _init(cli, _penguins(tmp_path))
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["options"]["target"]) == ("classification", "species")
    assert "{type: dense, units: 3, activation: softmax}" in out.read_text()
    assert "not 'year': whole numbers 2007..2009 look like years" in result.stderr
    assert "next candidates: 'sex' (2 distinct values, the fewest), 'island' (3 distinct values)" in result.stderr
    trained = cli("train", out, "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.output


def test_target_names_the_column_and_a_derived_two_valued_column_is_binary(cli, tmp_path):
    data = _fair(tmp_path)
    result, out, config = _init(cli, data)
    assert config["task"] == "regression" and "target 'affairs': the last column" in result.stderr
    out.unlink()
    result, out, config = _init(cli, data, "--target", "had_affair")
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["options"]["target"]) == ("binary", "had_affair")
    assert "target 'had_affair': as --target says" in result.stderr
    assert "warning: 'affairs' alone tells the classes of 'had_affair' apart" in result.stderr
    assert out.read_text().startswith("# Written by `dlkit init " + str(data) + " --target had_affair`")
    assert cli("train", out, "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q").exit_code == 0


def test_images_and_masks_make_a_segmentation_config_that_trains(cli, tmp_path):
    made = cli("make-data", "shapes-segmentation", tmp_path / "shapes", "--n", "24", "--size", "16")
    assert made.exit_code == 0, made.output
    result, out, config = _init(cli, tmp_path / "shapes")
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["dataset"]) == ("segmentation", "segmentation_folder")
    assert config["data"]["options"]["classes"] == ["background", "circle", "square", "triangle"]
    assert "{type: conv2d, filters: 4, kernel_size: 1, activation: softmax}" in out.read_text()
    assert "segmentation: 24 images in images/, each with the mask of its stem in masks/" in result.stderr
    trained = cli("train", out, "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.output
    assert (Path(trained.stdout.strip().splitlines()[-1]) / "model.keras").is_file()
