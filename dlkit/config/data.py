"""`data:` which dataset, how to split it, how to preprocess it, how to batch it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ByteSize, Field, PositiveInt, ValidationInfo, field_validator, model_serializer, model_validator

from dlkit.core.registries import DATASETS, PREPROCESS
from dlkit.core.strict import Strict, raise_at


class SplitConfig(Strict):
    validation: Annotated[float, Field(ge=0, lt=1)] | Literal["test"] = 0.1
    """Fraction of the training data held out for validation (stratified for classification), or
    `test`: validate on the test split, as scripts passing `validation_data=(x_test, y_test)` do
    (then nothing is held out, and choices made on val_ figures are made on the test set)."""
    test: float = Field(0.2, ge=0, lt=1)
    """Fraction held out for testing, used only when the dataset has no test split of its own."""
    ordered: bool = False
    """Hold out the last examples rather than a random (stratified) sample: time series."""
    folds: Annotated[int, Field(ge=2)] | None = None
    """Cross-validation (`dlkit cv` sets it): what is left once the test split is held out is cut
    into this many folds (stratified where the task keeps class shares; with `ordered`, an
    expanding window whose validation part always comes after its training part). Validation is
    then fold `fold`, whatever `validation` says."""
    fold: PositiveInt | None = None
    """Which fold validates (1 to `folds`); the others train."""
    repeat: PositiveInt = 1
    """Which cutting into folds (each repeat shuffles with its own seed, drawn from `seed` and it)."""
    group: str | None = None
    """Table datasets: a column naming groups (a patient, a site) whose rows stay together in the
    test and validation holdouts (a share of the groups, not of the rows) and in cross-validation
    folds; the column is not a model input."""

    @model_validator(mode="after")
    def _fold_of_folds(self) -> SplitConfig:
        if (self.folds is None) != (self.fold is None):
            given, missing = ("folds", "fold") if self.fold is None else ("fold", "folds")
            raise_at((missing,), f"{given} is set: set {missing} too (or neither)", None)
        if self.folds is not None and self.fold > self.folds:
            raise_at(("fold",), f"must be at most folds ({self.folds})", self.fold)
        if self.group is not None and self.ordered:
            raise_at(("group",), "ordered splits keep the order, not groups: set one of group and ordered", self.group)
        return self

    @model_serializer(mode="wrap")
    def _without_folds(self, handler) -> dict:
        """Configs that use neither folds nor groups dump as before those keys existed (resume and
        tune compare dumps)."""
        data = handler(self)
        if data.get("folds", ...) is None:
            for key in ("folds", "fold", "repeat"):
                data.pop(key, None)
        if data.get("group", ...) is None:
            data.pop("group", None)
        return data

    @property
    def has_validation(self) -> bool:
        return self.folds is not None or self.validation == "test" or self.validation > 0


class DataConfig(Strict):
    dataset: str
    """A registered dataset (`dlkit list datasets`)."""
    options: dict[str, Any] = {}
    """The dataset loader's arguments (path:, ...), checked against the dataset."""
    split: SplitConfig = SplitConfig()
    preprocess: list[PREPROCESS.field] = []
    """Ordered steps applied in training and at predict time (inside the saved model)."""
    augment: list[PREPROCESS.field] = []
    """Random steps applied to training batches only."""
    batch_size: PositiveInt = 32
    shuffle: bool = True
    """Reshuffle the training data every epoch (seeded)."""
    cache: bool = False
    """Decode every split streamed from disk (image_folder) once, up front, and keep it in memory
    (uint8: height x width x channels bytes per image). The decoded pixels are kept on disk too, in
    dlkit's cache (2 GB at most, the least recently used dropped first): the next run on the same
    files, split and size alike, reads them instead of decoding again."""
    max_bytes: Annotated[ByteSize, Field(gt=0)] | None = None
    """The most memory a data file may declare: an `.npz` (its arrays' shapes and dtypes, read from
    their headers) or a CSV table (its cells, 8 bytes each) declaring more is refused before it is
    read, as is one declaring more than the memory available now. Bytes, or `500MB`, `2GB`, `2GiB`;
    null: the memory available is the only limit."""

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, name: str) -> str:
        return DATASETS.canonical(name)

    @field_validator("options", mode="after")
    @classmethod
    def _options_fit_dataset(cls, options: dict, info: ValidationInfo) -> dict:
        if "dataset" not in info.data:
            return options
        spec = DATASETS.get(info.data["dataset"]).model_validate(options)
        return spec.args()

    @field_validator("preprocess", "augment")
    @classmethod
    def _steps_in_their_place(cls, steps: list, info: ValidationInfo) -> list:
        wants_augment = info.field_name == "augment"
        for i, step in enumerate(steps):
            if step.augment != wants_augment:
                other = "augment" if step.augment else "preprocess"
                raise_at(
                    (i, "type"),
                    f"{step.type_name!r} is {'an augmentation' if step.augment else 'a preprocessing'}"
                    f" step; put it under data.{other}",
                    step.type_name,
                )
        return steps

    @model_serializer(mode="wrap")
    def _without_max_bytes(self, handler) -> dict:
        """Configs that leave `max_bytes` null dump as before that key existed (resume and tune
        compare dumps)."""
        data = handler(self)
        if data.get("max_bytes", ...) is None:
            data.pop("max_bytes", None)
        return data

    def loader(self):
        """The dataset's loader, configured by `options`, bounded by `max_bytes`, told the split."""
        loader = DATASETS.get(self.dataset).model_validate(self.options).bounded(self.max_bytes)
        return loader.holding_out(self.split.test, self.split.validation)
