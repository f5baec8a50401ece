"""`train.distill:` learning from a trained teacher's softened outputs as well as from the labels."""

from __future__ import annotations

from pydantic import Field, PositiveFloat

from dlkit.core.strict import Strict


class DistillConfig(Strict):
    """Knowledge distillation (Hinton et al. 2015): the model (the student) is trained on
    `alpha` x the task's loss on the labels + (1 - alpha) x temperature² x KL(teacher || student),
    both output distributions softened by the temperature. Validation scores the labels only."""

    teacher: str = Field(min_length=1)
    """The teacher's run folder (`runs/NAME`, relative to where dlkit runs): a completed run of the
    same task, classes and input. It runs in inference mode and is not saved with the student."""
    temperature: PositiveFloat = 4.0
    """Divides both models' logits before their softmax: above 1 shows how the teacher ranks the
    wrong classes, which is what the labels do not say."""
    alpha: float = Field(0.1, ge=0, le=1)
    """The weight of the loss on the labels; the teacher's term weighs 1 - alpha. The temperature²
    factor keeps that term's gradients the same size whatever the temperature."""
