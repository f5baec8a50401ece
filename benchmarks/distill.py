"""Distillation (`train.distill`): a tiny student's test accuracy with and without a teacher.

What it measures
  scikit-learn's digits (1,797 8x8 images), split once (seed 0, stratified): 30% test (540 images,
  the same for every model), 70% pool (1,257). Each model trains with `dlkit.training.trainer.train`
  (what `dlkit train` runs) on an `npz` file of its own training examples and that test split.
    teacher  the quickstart CNN (configs/quickstart.yaml's layers, 76,522 parameters) on the whole
             pool, 10% of it held out for early stopping; trained once.
    student  an MLP, flatten -> dense 16 relu -> dense 10 softmax (1,210 parameters, 1.6% of the
             teacher), on N examples per class drawn from the pool (another draw per seed), no
             validation split (a fixed number of epochs, the last epoch kept), twice with the same
             seed and examples: on the labels alone, and with `train.distill: {teacher, temperature,
             alpha}` (the teacher's run; it saw the whole pool, the student only its N per class).
  Reported: the test accuracy of each student (metrics.json), mean and standard deviation over the
  seeds, and the teacher's.

Run (about 8 minutes on 2 busy CPU cores):
    .venv/bin/python benchmarks/distill.py
    .venv/bin/python benchmarks/distill.py --per-class 5 --seeds 1     # smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPO))

QUICKSTART_LAYERS = [
    {"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "max_pooling2d", "pool_size": 2},
    {"type": "dropout", "rate": 0.25},
    "flatten",
    {"type": "dense", "units": 128, "activation": "relu"},
    {"type": "dropout", "rate": 0.4},
    {"type": "dense", "units": 10, "activation": "softmax"},
]
STUDENT_LAYERS = [
    "flatten",
    {"type": "dense", "units": 16, "activation": "relu"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]
#: Student epochs by examples per class (0: the whole pool): about the same number of steps each.
EPOCHS = {5: 150, 10: 120, 20: 80, 0: 30}


def _config(name: str, npz: Path, layers: list, *, seed: int, epochs: int, validation: float, extra=None) -> dict:
    train = {"epochs": epochs, "optimizer": {"type": "adam", "learning_rate": 0.005}, **(extra or {})}
    if not validation:
        train["checkpoint"] = {"monitor": None}
    return {
        "name": name,
        "seed": seed,
        "data": {
            "dataset": "npz",
            "options": {"path": str(npz)},
            "split": {"validation": validation},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": 16 if not validation else 32,
        },
        "model": {"layers": layers},
        "train": train,
    }


def _train(data: dict, runs: Path) -> tuple[Path, float, int]:
    """(run folder, test accuracy, parameters)."""
    from dlkit.config.loader import parse_config
    from dlkit.model.saved import load_run_model
    from dlkit.training.trainer import train

    run_dir = train(parse_config(data), runs_dir=runs)
    accuracy = json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"]
    return run_dir, accuracy, load_run_model(run_dir).count_params()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, nargs="+", default=[5, 20, 0], help="0: the whole pool")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    args = parser.parse_args()

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.round(digits.images * 255 / 16).astype("uint8")
    pool, test = train_test_split(np.arange(len(images)), test_size=0.3, random_state=0, stratify=digits.target)
    folder = Path(tempfile.mkdtemp(prefix="dlkit-distill-"))
    runs = folder / "runs"

    def npz(name: str, rows) -> Path:
        path = folder / f"{name}.npz"
        np.savez(
            path, x_train=images[rows], y_train=digits.target[rows], x_test=images[test], y_test=digits.target[test]
        )
        return path

    teacher_cfg = _config("teacher", npz("teacher", pool), QUICKSTART_LAYERS, seed=0, epochs=30, validation=0.1)
    teacher_cfg["train"]["callbacks"] = [{"type": "early_stopping", "monitor": "val_loss", "patience": 6}]
    teacher, teacher_accuracy, teacher_params = _train(teacher_cfg, runs)
    print(f"teacher: {teacher_params:,} parameters, test accuracy {teacher_accuracy:.4f} ({teacher})", flush=True)
    distill = {"distill": {"teacher": str(teacher), "temperature": args.temperature, "alpha": args.alpha}}

    rows = []
    for per_class in args.per_class:
        results: dict[str, list[float]] = {"labels": [], "teacher": []}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            chosen = (
                pool
                if per_class == 0
                else np.concatenate(
                    [rng.choice(pool[digits.target[pool] == c], per_class, replace=False) for c in range(10)]
                )
            )
            path = npz(f"student-{per_class}-{seed}", chosen)
            epochs = EPOCHS.get(per_class, 100)
            for how, extra in (("labels", None), ("teacher", distill)):
                data = _config(
                    f"student-{how}", path, STUDENT_LAYERS, seed=seed, epochs=epochs, validation=0, extra=extra
                )
                _, accuracy, student_params = _train(data, runs)
                results[how].append(accuracy)
                print(f"  {per_class or 'all'} per class, seed {seed}, {how}: {accuracy:.4f}", flush=True)
        rows.append((per_class, len(chosen), results))

    print()
    print(f"teacher: quickstart CNN, {teacher_params:,} parameters, test accuracy {teacher_accuracy:.4f}")
    print(
        f"student: MLP 64-16-10, {student_params:,} parameters ({student_params / teacher_params:.1%} of the "
        f"teacher); T={args.temperature:g}, alpha={args.alpha:g}; {args.seeds} seeds; test: 540 images"
    )
    print()
    print("| examples per class | student examples | labels only | with the teacher | gain |")
    print("| --- | --- | --- | --- | --- |")
    for per_class, count, results in rows:
        plain, taught = results["labels"], results["teacher"]
        cells = [
            f"{statistics.mean(r):.3f} ± {statistics.pstdev(r):.3f} ({', '.join(f'{v:.3f}' for v in r)})"
            for r in (plain, taught)
        ]
        gain = statistics.mean(taught) - statistics.mean(plain)
        print(f"| {per_class or 'all (~126)'} | {count:,} | {cells[0]} | {cells[1]} | {gain:+.3f} |")


if __name__ == "__main__":
    main()
