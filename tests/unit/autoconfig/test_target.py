"""`dlkit init` guesses out loud: on tables shaped like R's diamonds, Palmer penguins and Fair's
affairs it picks the target a person would (a named one over a measurement `y`, never an identifier
or a year), says why and what came next; `--target` and `--task` override it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.init_guess import _fair, _init, _penguins, _write


def _diamonds(folder: Path, n: int = 300) -> Path:
    """R's diamonds: `y` is a width in mm beside `x` and `z`; `price` (skewed) is the target."""
    rng = np.random.default_rng(0)
    carat = rng.gamma(2.0, 0.4, n).round(2) + 0.2
    cuts, clarities = ["Fair", "Good", "Very Good", "Premium", "Ideal"], ["SI2", "SI1", "VS2", "VS1", "IF"]
    rows = []
    for c in carat:
        x = 6.5 * c ** (1 / 3)
        price = int(np.exp(8 + 1.6 * np.log(c) + rng.normal(0, 0.2)))
        cut, color, clarity = rng.choice(cuts), "DEFGHIJ"[rng.integers(7)], rng.choice(clarities)
        rows.append(f"{c},{cut},{color},{clarity},{rng.normal(61.7, 1.4):.1f},{rng.integers(53, 62)},{price},"
                    f"{x:.2f},{x * 1.01:.2f},{x * 0.62:.2f}")  # fmt: skip
    return _write(folder / "diamonds.csv", "carat,cut,color,clarity,depth,table,price,x,y,z", rows)


def test_a_named_target_beats_the_measurement_y(cli, tmp_path):
    result, out, config = _init(cli, _diamonds(tmp_path))
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["options"]["target"]) == ("regression", "price")
    said = result.stderr
    assert "target 'price': its name says so" in said
    assert "next candidates: 'z' (the last column), 'cut' (5 distinct values, the fewest)" in said
    assert "not 'y' for its name: beside 'x' and 'z' it is a measurement" in said
    assert result.stdout.strip() == str(out)  # what was guessed goes to stderr; stdout is the config's path


@pytest.mark.parametrize(
    ("last", "values", "why"),
    [
        ("customer_id", lambda i: str(1000 + (i * 7919) % 997), "an identifier, by its name"),
        ("ticket", lambda i: f"T-{i:04d}", "a different value in every row, an identifier"),
        ("row", lambda i: str(i), "a different value in every row, counting up: a row number"),
    ],
)
def test_an_identifier_is_never_the_target(cli, tmp_path, last, values, why):
    rng = np.random.default_rng(3)
    rows = [f"{rng.integers(18, 70)},{'abc'[i % 3]},{i % 2},{values(i)}" for i in range(60)]
    result, _, config = _init(cli, _write(tmp_path / "customers.csv", f"age,plan,churned,{last}", rows))
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["options"]["target"]) == ("binary", "churned")
    assert "target 'churned': 2 distinct values, the fewest" in result.stderr
    assert f"not {last!r}: {why}" in result.stderr


def test_an_unknown_target_is_one_line_listing_the_columns(cli, tmp_path):
    result, out, _ = _init(cli, _fair(tmp_path), "--target", "had_afair")
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.strip().splitlines() == [
        f"dlkit: error: --target had_afair: no column 'had_afair' in {tmp_path / 'fair.csv'}; the columns are "
        "had_affair, rate_marriage, age, religious, affairs (did you mean 'had_affair'?)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "year"], None),  # years asked for: a number to predict, not 2010 classes
        (["--task", "binary"], "--task binary: target 'species' holds 3 classes, not two classes"),
        (["--task", "regression"], "--task regression: target 'species' holds names, not numbers"),
        (["--task", "segmentation"], "--task segmentation: for a CSV file (150 rows, 8 columns), one of"),
        (["--target", "year", "--task", "classification"], "--task classification: target 'year' holds numbers"),
    ],
)
def test_target_and_task_are_checked_against_the_data(cli, tmp_path, args, message):
    result, out, config = _init(cli, _penguins(tmp_path), *args)
    if message is None:
        assert result.exit_code == 0, result.output
        assert config["task"] == "regression" and "'year' holds years (2007..2009)" in result.stderr
        return
    assert result.exit_code == 2 and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_blank_target_cells_are_said_and_year_features_stay_features(cli, tmp_path):
    rng = np.random.default_rng(4)
    rows = [f"{2000 + i % 20},{rng.normal():.3f},{'' if i % 10 == 0 else ('good', 'bad')[i % 2]},{1990 + i % 30}"
            for i in range(100)]  # fmt: skip
    data = _write(tmp_path / "reviews.csv", "year,score,label,built_year", rows)
    result, out, config = _init(cli, data)
    assert result.exit_code == 0, result.output
    assert (config["task"], config["data"]["options"]["target"]) == ("binary", "label")
    assert "10 rows have no 'label': training leaves them out" in result.stderr
    assert cli("validate", out).exit_code == 0
    no_label = _write(tmp_path / "built.csv", "year,built_year", [f"{2000 + i % 7},{1990 + i % 30}" for i in range(50)])
    refused = cli("init", no_label, "-o", tmp_path / "built.yaml")
    assert refused.exit_code == 2 and "no column looks like a target" in refused.stderr
    assert "name one with --target COLUMN" in refused.stderr


def test_binary_masks_of_0_and_255_are_one_foreground_class(cli, tmp_path):
    from PIL import Image

    for sub in ("images", "masks"):
        (tmp_path / "cells" / sub).mkdir(parents=True)
    for i in range(6):
        mask = np.zeros((10, 12), "uint8")
        mask[2:6, 3 + i % 4 : 8] = 255
        Image.fromarray(mask).save(tmp_path / "cells" / "masks" / f"{i}.png")
        Image.fromarray(np.dstack([mask] * 3)).save(tmp_path / "cells" / "images" / f"{i}.png")
    result, out, config = _init(cli, tmp_path / "cells")
    assert result.exit_code == 0, result.output
    assert config["data"]["options"]["palette"] == {"background": [0, 0, 0], "foreground": [255, 255, 255]}
    assert config["data"]["options"]["image_size"] == [10, 12]
    assert cli("validate", out, "--dry-run").exit_code == 0


def test_too_few_rows_for_the_holdouts_is_one_line_and_no_file(cli, tmp_path):
    data = _write(tmp_path / "tiny.csv", "x,label", ["1,a", "2,b", "3,a", "4,b"])
    result = cli("init", data, "-o", tmp_path / "tiny.yaml")
    assert result.exit_code == 1 and not (tmp_path / "tiny.yaml").exists()
    assert result.stderr.strip().splitlines() == [
        f"dlkit: error: {data}: 4 examples are too few to hold out validation and test examples of each of the "
        "2 classes and train on the rest"
    ]


def test_target_picks_the_column_of_a_series(cli, tmp_path):
    days = np.datetime64("2020-01-01") + np.arange(120)
    rows = [f"{d},{np.sin(i / 5):.3f},{i % 7}" for i, d in enumerate(days)]
    data = _write(tmp_path / "sales.csv", "date,temp,sales", rows)
    result, _, config = _init(cli, data, "--target", "temp")
    assert result.exit_code == 0, result.output
    assert (config["data"]["dataset"], config["data"]["options"]["target"]) == ("sequence", "temp")
    assert "target 'temp' (as --target says): its next value" in result.stderr
    refused = cli("init", data, "-o", tmp_path / "by_date.yaml", "--target", "date")
    assert refused.exit_code == 2
    assert "--target date: a series predicts one of its numeric columns: temp, sales" in refused.stderr
