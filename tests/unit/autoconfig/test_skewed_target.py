"""`dlkit init` on a table with a numeric target: `target_transform: log` (or `log1p`) proposed for
a positive target skewed to the right, said on stderr and beside the option; nothing for others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml


def _prices(folder, target) -> object:
    """Two features and a target made from them by `target(a, b, noise)`."""
    rng = np.random.default_rng(0)
    a, b, noise = rng.normal(size=(3, 300))
    values = target(a, b, noise)
    lines = ["a,b,price"] + [f"{p:.3f},{q:.3f},{v:.2f}" for p, q, v in zip(a, b, values, strict=True)]
    path = folder / "prices.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, float(pd.Series(np.round(values, 2)).skew())


@pytest.mark.parametrize(
    ("target", "transform", "learned"),
    [
        (lambda a, b, e: np.exp(6 + a + 0.5 * b + 0.2 * e), "log", "log(price)"),
        (lambda a, b, e: np.where(a < -0.5, 0.0, np.exp(2 + a + 0.3 * e)), "log1p", "log(1 + price)"),
    ],
)
def test_a_positive_skewed_target_is_learned_as_its_log(cli, tmp_path, target, transform, learned):
    path, skewness = _prices(tmp_path, target)
    out = tmp_path / "prices.yaml"
    result = cli("init", path, "-o", out)
    assert result.exit_code == 0, result.output
    said = f"target_transform {transform}: 'price' holds numbers "
    assert said in result.stderr and f"(skewness {skewness:.2f} > 1): the model learns {learned}" in result.stderr
    text = out.read_text()
    assert yaml.safe_load(text)["data"]["options"]["target_transform"] == transform
    comment = f"# skewness {skewness:.2f} > 1: learns {learned}; none learns price itself"
    beside = f'    target_transform: "{transform}"   {comment}'
    assert beside in text.splitlines() and f"#   {said}" in text  # beside the option, and in the header
    assert cli("validate", out).exit_code == 0


@pytest.mark.parametrize(
    "target",
    [
        lambda a, b, e: 3 * a - b + 0.1 * e + 10,  # symmetric
        lambda a, b, e: np.exp(6 + a + 0.5 * b) - 500,  # skewed, but below 0 too
    ],
)
def test_other_numeric_targets_get_no_transform_and_no_line(cli, tmp_path, target):
    path, _ = _prices(tmp_path, target)
    result = cli("init", path, "-o", tmp_path / "prices.yaml")
    assert result.exit_code == 0, result.output
    assert "task regression" in result.stderr and "target_transform" not in result.stderr
    assert "target_transform" not in (tmp_path / "prices.yaml").read_text()
