"""Attack testing (`dlkit attack`) and adversarial training (`train.adversarial`) on the quickstart model.

What it measures
  configs/quickstart.yaml (digits, 8x8 CNN, rescale inside the model) trained once as it is, and
  once with `train.adversarial: {method: pgd, eps: 0.1, steps: 7, ratio: 0.5}`; both scored on the
  whole test split (360 images) with `dlkit.attack.run.attack_run` (what `dlkit attack` runs) at
  eps 0.05, 0.1, 0.2 of 255:
    fgsm                   ours and ART's FastGradientMethod (true labels as y, clip_values (0, 255))
    pgd, no random start   ours (20 steps of 2.5 x eps / 20) and ART's ProjectedGradientDescent
                           (num_random_init=0, same eps_step and max_iter): comparable example by example
    pgd, random start      ours and ART's (num_random_init=1): each draws its own noise, so the
                           figures are comparable only as figures, not example by example
  Reported: correct examples of 360 for each, and for the adversarially trained model its clean
  accuracy and PGD (random start) accuracy at eps 0.1 against the plain model's.

Run (about 5 minutes on 2 busy CPU cores):
    .venv/bin/python benchmarks/attack.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPO))

EPS = [0.05, 0.1, 0.2]
STEPS = 20
ADVERSARIAL = {"method": "pgd", "eps": 0.1, "steps": 7, "ratio": 0.5}


def _train(runs: Path, adversarial: dict | None) -> tuple[Path, float]:
    from dlkit.config import load_config
    from dlkit.training.trainer import train

    config = load_config(REPO / "configs" / "quickstart.yaml")
    if adversarial:
        from dlkit.config.adversarial import AdversarialConfig

        config.train.adversarial = AdversarialConfig(**adversarial)
    started = time.monotonic()
    return train(config, runs_dir=runs), time.monotonic() - started


def _ours(run: Path, method: str, **arguments) -> list[int]:
    from dlkit.attack.run import attack_run
    from dlkit.core.registries import ATTACKS

    report = attack_run(run, ATTACKS.get(method)(**arguments), EPS, n=100_000, split="test", seed=0).report
    return [report["clean"]["correct"]] + [row["correct"] for row in report["attacks"]]


def _art(run: Path, method: str, **arguments) -> list[int]:
    import keras
    import numpy as np
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import TensorFlowV2Classifier

    from dlkit.config.loader import load_run_config
    from dlkit.engine.prepare import prepare_data
    from dlkit.model.saved import load_run_model

    model, test = load_run_model(run), prepare_data(load_run_config(run)).splits.test
    x = test.x.astype("float32")
    classifier = TensorFlowV2Classifier(
        model, nb_classes=10, input_shape=x.shape[1:], loss_object=keras.losses.SparseCategoricalCrossentropy(),
        clip_values=(0, 255),
    )  # fmt: skip

    def correct(images) -> int:
        return int(np.sum(np.argmax(model.predict(images, verbose=0), axis=-1) == test.y))

    counts = [correct(x)]
    for eps in EPS:
        if method == "fgsm":
            attack = FastGradientMethod(classifier, eps=eps * 255, batch_size=128)
        else:
            attack = ProjectedGradientDescent(
                classifier, eps=eps * 255, eps_step=2.5 * eps * 255 / STEPS, max_iter=STEPS, batch_size=128,
                verbose=False, **arguments,
            )  # fmt: skip
        counts.append(correct(attack.generate(x, y=test.y)))
    return counts


def main() -> None:
    from dlkit.core.registries import ATTACKS  # noqa: F401  (before TensorFlow's noise)

    with tempfile.TemporaryDirectory() as folder:
        plain, plain_time = _train(Path(folder) / "plain", None)
        rows = [
            ("fgsm", _ours(plain, "fgsm"), _art(plain, "fgsm")),
            ("pgd, no random start", _ours(plain, "pgd", steps=STEPS, random_start=False),
             _art(plain, "pgd", num_random_init=0)),
            ("pgd, random start", _ours(plain, "pgd", steps=STEPS), _art(plain, "pgd", num_random_init=1)),
        ]  # fmt: skip
        print(f"quickstart (trained in {plain_time:.0f} s), test split: correct of 360 after attack at eps (of 255)")
        print(f"{'method':<22} {'':>6} {'clean':>6} " + " ".join(f"{e:>6}" for e in EPS))
        for method, ours, art in rows:
            print(f"{method:<22} {'dlkit':>6} " + " ".join(f"{c:>6}" for c in ours))
            print(f"{'':<22} {'ART':>6} " + " ".join(f"{c:>6}" for c in art))

        robust, robust_time = _train(Path(folder) / "robust", ADVERSARIAL)
        before = _ours(plain, "pgd", steps=STEPS)
        after = _ours(robust, "pgd", steps=STEPS)
        print()
        print(f"adversarial training {ADVERSARIAL}: trained in {robust_time:.0f} s (plain: {plain_time:.0f} s)")
        print(f"{'model':<22} {'clean':>8} " + " ".join(f"{'pgd ' + str(e):>9}" for e in EPS))
        for name, counts in (("plain", before), ("adversarial", after)):
            print(f"{name:<22} {counts[0] / 360:>8.4f} " + " ".join(f"{c / 360:>9.4f}" for c in counts[1:]))


if __name__ == "__main__":
    main()
