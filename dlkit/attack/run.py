"""`dlkit attack RUN`: the run's `model.keras` under attack on a split, eps by eps; accuracy
against the labels, written to RUN/eval/attack.json with a plot (and, for images, a grid of
clean and adversarial examples). Imports TensorFlow: load it lazily."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from dlkit.components.attacks import Attack, attacker
from dlkit.components.input_space import input_space, refusal
from dlkit.core.errors import UsageError

#: Examples per batch of the attack (any size gives the same examples; larger is faster on CPU).
BATCH = 128
#: Examples drawn clean and attacked in attack_examples.png.
EXAMPLES = 8


@dataclasses.dataclass
class AttackResult:
    """What attack.json holds, and the examples to draw."""

    report: dict
    clean: np.ndarray | None = None  # images only: a few clean examples ...
    adversarial: dict[float, np.ndarray] = dataclasses.field(default_factory=dict)  # ... attacked at each eps
    predicted: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # "clean" or eps -> class


def attack_run(
    run_dir: Path, spec: Attack, eps: list[float], *, n: int, split: str, seed: int, overrides=()
) -> AttackResult:
    """Attack `model.keras` on `n` examples of the split (a seeded sample; all if fewer) at each
    eps, and write RUN/eval/attack.json, attack.png and (images) attack_examples.png. `overrides`
    (`--set`) change the run's config for this attack (where its data is)."""
    from dlkit.attack.check import on_tensorflow
    from dlkit.core.backend import keras

    on_tensorflow()
    keras()  # TensorFlow loads quietly
    from dlkit.config.loader import load_run_config
    from dlkit.core.writing import inside
    from dlkit.data.pipeline import to_dataset
    from dlkit.engine.prepare import prepare_run_data
    from dlkit.engine.task import task_of
    from dlkit.model.saved import load_run_model

    config = load_run_config(run_dir, overrides)
    task = task_of(config)
    data = prepare_run_data(config)
    model = load_run_model(run_dir)
    reason = refusal(data.kind, model, data.splits.train.x)
    if reason:
        raise UsageError(f"{run_dir}: cannot attack this run: {reason}")
    folder = inside(run_dir, "eval", folder=True)
    space = input_space(data.kind, model, data.splits.train.x)
    examples = _sample(data.split(split), n, seed)
    loss = config.train.loss
    attack = attacker(model, spec, loss.build(), space, len(data.class_names) if loss.labels == "one_hot" else None)
    batches = list(to_dataset(examples, batch_size=BATCH, shuffle=False, seed=seed, decode=data.about.decode))

    def decide(x) -> np.ndarray:
        return task.decisions(np.asarray(model(x, training=False)))

    y = np.asarray(examples.y)
    result, scores = _attack_batches(attack, decide, batches, y, eps, seed, keep_examples=data.kind == "image")
    result.report = {
        "method": spec.type_name,
        **spec.described(),
        "split": split,
        "n": len(y),
        "seed": seed,
        "eps_scale": "image pixels: eps x 255" if data.kind == "image" else "eps x each feature's training std",
        **scores,
    }
    _write(result, folder, f"{Path(run_dir).name}: {split} split", y, data.class_names)
    return result


def _sample(examples, n: int, seed: int):
    """`n` of the examples, a seeded sample in their order (all if fewer)."""
    chosen = np.arange(len(examples))
    if n < len(examples):
        chosen = np.sort(np.random.default_rng(seed).choice(len(examples), n, replace=False))
    return examples.take(chosen)


def _attack_batches(attack, decide, batches: list, y: np.ndarray, eps: list[float], seed: int, *,
                    keep_examples: bool) -> tuple[AttackResult, dict]:  # fmt: skip
    """Every batch decided clean and attacked at each eps: a result holding (with `keep_examples`)
    the first few examples clean and attacked and their decisions, and the accuracy against `y` of
    each (the report's `clean` and `attacks`)."""
    import tensorflow as tf

    clean = np.concatenate([decide(x) for x, _ in batches])
    result = AttackResult({})
    rows = []
    for e in eps:
        adversarial = [attack(x, labels, tf.constant(e, tf.float32), tf.constant([seed, i], tf.int64))
                       for i, (x, labels) in enumerate(batches)]  # fmt: skip
        predicted = np.concatenate([decide(x) for x in adversarial])
        rows.append({"eps": e, "accuracy": float(np.mean(predicted == y)), "correct": int(np.sum(predicted == y))})
        if keep_examples:
            result.adversarial[e] = np.asarray(adversarial[0])[:EXAMPLES]
            result.predicted[str(e)] = predicted[:EXAMPLES]
    if keep_examples:
        result.clean, result.predicted["clean"] = np.asarray(batches[0][0])[:EXAMPLES], clean[:EXAMPLES]
    return result, {"clean": {"accuracy": float(np.mean(clean == y)), "correct": int(np.sum(clean == y))},
                    "attacks": rows}  # fmt: skip


def _write(result: AttackResult, folder: Path, title: str, y: np.ndarray, class_names) -> None:
    """attack.json, attack.png and (images) attack_examples.png into `folder`."""
    from dlkit.attack import plots
    from dlkit.core.runs import write_json

    write_json(folder / "attack.json", result.report)
    plots.accuracy_against_eps(result.report, folder / "attack.png", title)
    if result.clean is not None:
        plots.examples(result, y[:EXAMPLES], class_names, folder / "attack_examples.png")
