"""Preprocessing and augmentation steps. Each becomes a Keras layer at the front of the model, so
`model.keras` takes raw inputs and predict applies exactly what training applied."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt

from dlkit.core.registries import PREPROCESS
from dlkit.core.registry import KerasSpec


class Step(KerasSpec):
    """A step in `data.preprocess` (always applied) or `data.augment` (training only)."""

    keras_module = "layers"
    #: Augmentation steps are random and run only while training; they belong in `data.augment`.
    augment: ClassVar[bool] = False
    #: Steps that make sense only for (H, W, C) images.
    images_only: ClassVar[bool] = True
    #: Steps whose statistics are fitted on the training split: `build(examples)`.
    fitted: ClassVar[bool] = False


@PREPROCESS.register()
class Rescale(Step):
    """Multiply by `scale` and add `offset` (1/255 maps 0-255 pixels to 0-1)."""

    keras_class = "Rescaling"
    images_only = False
    scale: float
    offset: float = 0.0


@PREPROCESS.register()
class Reshape(Step):
    """Give each example a new shape (without the batch axis)."""

    keras_class = "Reshape"
    images_only = False
    shape: list[int] = Field(min_length=1)

    def build(self):
        return self.keras_type()(target_shape=self.shape)


@PREPROCESS.register()
class Resize(Step):
    """Resize images to `height` x `width`."""

    keras_class = "Resizing"
    height: PositiveInt
    width: PositiveInt
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = "bilinear"
    crop_to_aspect_ratio: bool = False


@PREPROCESS.register()
class Normalize(Step):
    """Subtract the mean and divide by the standard deviation, per channel (or feature), as
    fitted on the training split."""

    images_only = False
    fitted = True

    def build(self, examples=None):

        from dlkit.core.backend import keras

        if examples is None:
            return keras().layers.Normalization(mean=0.0, variance=1.0)
        axes = tuple(range(examples.ndim - 1))
        return keras().layers.Normalization(mean=examples.mean(axis=axes), variance=examples.var(axis=axes))


@PREPROCESS.register()
class Grayscale(Step):
    """Convert RGB images to one grayscale channel."""

    def build(self):
        from dlkit.layers.custom import ToGrayscale

        return ToGrayscale()


@PREPROCESS.register()
class Rgb(Step):
    """Convert grayscale images to three identical RGB channels."""

    def build(self):
        from dlkit.layers.custom import ToRgb

        return ToRgb()


@PREPROCESS.register()
class CenterCrop(Step):
    """Crop the central `height` x `width` region of each image."""

    keras_class = "CenterCrop"
    height: PositiveInt
    width: PositiveInt


class Augment(Step):
    augment = True
    seed: int | None = None
    """Defaults to the experiment's seed stream (keras.utils.set_random_seed)."""


@PREPROCESS.register()
class RandomFlip(Augment):
    """Flip images at random, horizontally and/or vertically."""

    keras_class = "RandomFlip"
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal"


@PREPROCESS.register()
class RandomRotation(Augment):
    """Rotate images at random by up to `factor` of a full turn."""

    keras_class = "RandomRotation"
    factor: float = Field(gt=0, le=1)
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@PREPROCESS.register()
class RandomZoom(Augment):
    """Zoom images at random by up to `height_factor` (and `width_factor`)."""

    keras_class = "RandomZoom"
    height_factor: float = Field(gt=-1, le=1)
    width_factor: float | None = None
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@PREPROCESS.register()
class RandomTranslation(Augment):
    """Shift images at random by up to the given fractions of their height and width."""

    keras_class = "RandomTranslation"
    height_factor: float = Field(ge=0, le=1)
    width_factor: float = Field(ge=0, le=1)
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@PREPROCESS.register()
class RandomBrightness(Augment):
    """Shift image brightness at random by up to `factor` of `value_range`."""

    keras_class = "RandomBrightness"
    factor: float = Field(gt=0, le=1)
    value_range: list[float] = Field([0, 255], min_length=2, max_length=2)
    """The pixel range at this point: [0, 255] before a rescale step, [0, 1] after one."""


@PREPROCESS.register()
class RandomCrop(Augment):
    """Crop a random `height` x `width` region while training (the centre at predict time)."""

    keras_class = "RandomCrop"
    height: PositiveInt
    width: PositiveInt


@PREPROCESS.register()
class RandomContrast(Augment):
    """Change image contrast at random by up to `factor`."""

    keras_class = "RandomContrast"
    factor: float = Field(ge=0, le=1)
