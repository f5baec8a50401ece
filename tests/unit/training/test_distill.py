"""Distillation's loss is Hinton's mix of the labels and the softened teacher."""

import keras
import numpy as np
import pytest

from dlkit.config.distill import DistillConfig
from dlkit.training.addons.distill import distilling


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "student_logits, teacher_logits, weighted", [(False, False, False), (True, True, False), (False, False, True)]
)
def test_the_loss_is_hintons_mix_of_the_labels_and_the_softened_teacher(student_logits, teacher_logits, weighted):
    """alpha x cross-entropy + (1 - alpha) x T² x KL(teacher_T || student_T), the teacher in
    inference mode (its dropout of 0.9 off: the same loss twice); validation: the labels only."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = np.arange(16) % 4
    weights = rng.uniform(0.5, 2.0, size=16).astype("float32") if weighted else None
    student = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, None if student_logits else "softmax")])
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(4, None if teacher_logits else "softmax")
    teacher = keras.Model(inputs, dense(keras.layers.Dropout(0.9)(inputs)))
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=student_logits)
    student.compile(loss=cross_entropy)
    spec = DistillConfig(teacher="unused", temperature=3.0, alpha=0.25)
    loss = distilling(
        student.compute_loss, cross_entropy, teacher, spec, teacher_logits=teacher_logits, student_logits=student_logits
    )

    outputs = student(x)
    got = float(loss(x, y, outputs, weights, training=True))
    assert float(loss(x, y, outputs, weights, training=True)) == pytest.approx(got, rel=1e-6)

    student_z = np.asarray(outputs) if student_logits else np.log(np.asarray(outputs))
    teacher_z = np.asarray(teacher(x, training=False))
    teacher_z = teacher_z if teacher_logits else np.log(teacher_z)
    soft_teacher, soft_student = _softmax(teacher_z / 3), _softmax(student_z / 3)
    kl = (soft_teacher * np.log(soft_teacher / soft_student)).sum(axis=-1)
    ce = -np.log(_softmax(student_z)[np.arange(16), y])
    w = weights if weighted else np.ones(16)
    expected = 0.25 * np.mean(w * ce) + 0.75 * 9 * np.mean(w * kl)
    assert got == pytest.approx(expected, rel=1e-4)
    assert float(loss(x, y, outputs, weights, training=False)) == pytest.approx(np.mean(w * ce), rel=1e-4)
