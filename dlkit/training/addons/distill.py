"""`train.distill`: the teacher, a completed run checked against the student's data and loaded in
safe mode, and the student's training loss mixed with the teacher's softened outputs (Hinton et
al. 2015). Imports Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

from dlkit.config import load_run_config
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError, DlkitError
from dlkit.core.registries import ADDONS
from dlkit.core.runs import read_run, resolve_run, run_status
from dlkit.model.saved import load_run_model
from dlkit.training.addons import Addon

WHERE = "train.distill.teacher"


@ADDONS.register("distill")
class Distill(Addon):
    """`train.distill`: the student learns from a completed run's softened outputs as well as the labels."""

    section = ("train", "distill")

    def attach(self, session) -> None:
        learn_from_teacher(session.model, self.config, session.prepared)


def learn_from_teacher(model, config, data) -> None:
    """Make the compiled `model` (the student) train on `train.distill`'s mix of the labels and
    the teacher's outputs. Validation and evaluation keep the task's loss on the labels.

    Keras's own extension point for this is `compute_loss`, which sees the batch's inputs; it is
    replaced on this one model object, not by a subclass, so that `model.keras` and the
    checkpoints stay the plain functional student and never hold (or need) the teacher."""
    teacher, teacher_logits = load_teacher(config, data)
    loss = config.train.loss
    model.compute_loss = distilling(
        model.compute_loss,
        loss.build(),
        teacher,
        config.train.distill,
        teacher_logits=teacher_logits,
        student_logits=bool(getattr(loss, "from_logits", False)),
    )


def distilling(task_loss, on_labels, teacher, spec, *, teacher_logits: bool, student_logits: bool):
    """A `compute_loss` that trains on alpha x `on_labels` + (1 - alpha) x T² x KL(teacher ||
    student) at temperature T, plus what `task_loss` (the model's own `compute_loss`: the compiled
    loss on the labels, which is `on_labels`, and the regularisers) adds; while validating, it is
    `task_loss`."""
    ops, temperature = keras().ops, spec.temperature

    def compute_loss(x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = task_loss(x, y, y_pred, sample_weight, training=training)
        if not training:
            return loss
        log_teacher = ops.log_softmax(logits(teacher(x, training=False), teacher_logits) / temperature)
        log_teacher = ops.stop_gradient(log_teacher)
        log_student = ops.log_softmax(logits(y_pred, student_logits) / temperature)
        # KL(teacher || student) per example: the teacher's entropy term has no gradient, but with
        # it the term is 0 for a student that matches the teacher, whatever the teacher's confidence.
        kl = ops.sum(ops.exp(log_teacher) * (log_teacher - log_student), axis=-1)
        if sample_weight is not None:  # class weights weigh the teacher's term as they weigh the labels'
            kl = kl * ops.reshape(ops.cast(sample_weight, kl.dtype), ops.shape(kl))
        labels = ops.cast(on_labels(y, y_pred, sample_weight), loss.dtype)
        return loss + (1 - spec.alpha) * (temperature**2 * ops.mean(kl) - labels)

    return compute_loss


#: float32's smallest normal number: a probability a softmax rounded to 0 has a finite log.
TINY = 1.1754944e-38


def logits(outputs, from_logits: bool):
    """The logits behind a model's outputs: the softmax's input where Keras kept it (as its own
    cross-entropy does), the outputs themselves for a model without a softmax, else their log,
    which differs from the logits by a constant per example, to which the softmax is blind."""
    ops = keras().ops
    if hasattr(outputs, "_keras_logits"):
        return ops.cast(outputs._keras_logits, "float32")
    outputs = ops.cast(outputs, "float32")
    return outputs if from_logits else ops.log(ops.maximum(outputs, TINY))


def load_teacher(config, data):
    """(the teacher's model, whether it outputs logits), and `train.distill.teacher` resolved to
    its folder. The teacher must be a completed run of the same task, classes and input as the
    student's data; otherwise a one-line ConfigError, raised before the student's run folder exists."""
    try:
        run_dir = resolve_run(Path(config.train.distill.teacher))
    except DlkitError as e:
        raise ConfigError(f"{WHERE}: {e}") from None
    info = read_run(run_dir)
    status = run_status(info)
    if status != "completed":
        raise ConfigError(f"{WHERE}: {run_dir} is not a completed run (status: {status}); let it finish first")
    student_input = {"kind": data.kind, "shape": list(data.input_shape), "features": data.about.feature_names}
    teacher_input = info.get("input") or {}
    checks = [
        ("task", info.get("task"), config.task),
        ("classes", info.get("classes"), data.class_names or None),
        ("input", [teacher_input.get(k) for k in student_input], list(student_input.values())),
    ]
    for what, theirs, ours in checks:
        if theirs != ours:
            raise ConfigError(
                f"{WHERE}: {run_dir} does not fit this config: its {what} {_short(theirs)}, this config's "
                f"{_short(ours)}; the teacher must be a run of the same task, classes and input"
            )
    try:
        teacher = load_run_model(run_dir)
        teacher_config = load_run_config(run_dir)
    except DlkitError as e:
        raise ConfigError(f"{WHERE}: {e}") from None
    _check_test_unseen(run_dir, teacher_config, config, data)
    teacher.trainable = False
    # The run's config.yaml names the folder itself, not `runs/latest` or a path relative to
    # where it was started: a resumed run learns from the same teacher.
    config.train.distill.teacher = str(run_dir.resolve())
    return teacher, bool(getattr(teacher_config.train.loss, "from_logits", False))


def _check_test_unseen(run_dir: Path, teacher_config, config, data) -> None:
    """Refuse a teacher trained on the same data as the student but split with another seed or
    test fraction: it trained on some of the student's test examples, whose figures would then
    flatter the student. A dataset's own test split is the same whatever the seed."""
    ours, theirs = config.data.split, teacher_config.data.split
    same_data = read_run(run_dir).get("dataset_fingerprint") == data.fingerprint
    if not same_data or (teacher_config.seed, theirs.test, theirs.ordered) == (config.seed, ours.test, ours.ordered):
        return
    from dlkit.engine.prepare import prepare_data

    # The teacher's split of this config's data (loaded as this config says: the same data).
    probe = config.model_copy(deep=True)
    probe.seed, probe.data.split = teacher_config.seed, teacher_config.data.split
    if _same(prepare_data(probe).splits.test.x, data.splits.test.x):
        return
    raise ConfigError(
        f"{WHERE}: {run_dir} trained on some of this config's test examples (its split: seed "
        f"{teacher_config.seed}, test {theirs.test}; this config's: seed {config.seed}, test {ours.test}); "
        "use the teacher's seed and data.split.test"
    )


def _same(a, b) -> bool:
    """Whether two splits' examples (arrays, or dicts of columns) are equal."""
    import numpy as np

    if isinstance(a, dict) or isinstance(b, dict):
        both = isinstance(a, dict) and isinstance(b, dict)
        return both and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return np.array_equal(np.asarray(a), np.asarray(b))


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
