"""The config of an adversarially trained tiny run (unit and e2e tests of train.adversarial)."""

from __future__ import annotations

from conftest import TINY

ADVERSARIAL = {
    **TINY,
    "name": "adversarial",
    "train": {**TINY["train"], "epochs": 3, "adversarial": {"method": "pgd", "eps": 0.1, "steps": 2, "ratio": 0.5}},
}
