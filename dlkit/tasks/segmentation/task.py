"""`task: segmentation`: a class for every pixel. The model maps an (H, W, C) image to (H, W, K)
softmax scores (K classes) or to (H, W, 1) sigmoid scores (one foreground class: a loss of the
sigmoid head, `binary_crossentropy`, `binary_dice`, `binary_crossentropy_dice`, chooses it). The
labels are (H, W, 1) integer masks (`dataset: segmentation_folder`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlkit.core.errors import ConfigError, DataError
from dlkit.core.registries import TASKS
from dlkit.core.strict import listed, raise_at
from dlkit.data.targets import MASKS
from dlkit.engine.task import Table
from dlkit.tasks.segmentation.report import mask_scores
from dlkit.tasks.supervised import SupervisedConfig, SupervisedTask

if TYPE_CHECKING:
    import numpy as np


class SegmentationConfig(SupervisedConfig):
    """An experiment of task segmentation: its loss takes integer masks."""

    def fill_defaults(self) -> None:
        super().fill_defaults()
        if self.data.augment:
            raise_at(
                ("data", "augment"),
                "these steps move the image but not its mask; augment images and masks together with "
                "data.options.augment (flip, rot90, crop, zoom, brightness, contrast)",
            )
        if self.train.loss.labels == "one_hot":
            fitting = [n for n in ("sparse_categorical_crossentropy", "dice", "crossentropy_dice")]
            raise_at(
                ("train", "loss", "type"),
                f"{self.train.loss.type_name!r} takes one-hot labels; masks hold class ids: use {listed(fitting)}",
                self.train.loss.type_name,
            )


@TASKS.register()
class Segmentation(SupervisedTask):
    """A class per pixel (image and mask folders): K softmax channels or one sigmoid foreground; IoU and Dice."""

    config = SegmentationConfig
    default_loss = "sparse_categorical_crossentropy"
    default_metrics = ("accuracy", "mean_iou")
    report_metrics = frozenset({"pixel_accuracy", "mean_iou", "dice"})
    headlines = ("mean_iou", "accuracy")
    counts_classes = True
    proposed_for = "masks"
    targets = fits = frozenset({MASKS})
    needs = "a mask per image (dataset: segmentation_folder)"
    trivial_baselines = {"majority": "the most frequent class on every pixel"}

    @classmethod
    def head_of(cls, config) -> str:
        loss = config.train.loss
        return "sigmoid" if loss is not None and loss.head == "sigmoid" else "softmax"

    @property
    def head(self) -> str:
        return self.head_of(self.config)

    # --- labels and the last layer ---

    def labels(self, arrays) -> list[str]:
        names = list(arrays.class_names)
        if self.head == "sigmoid" and len(names) != 2:
            raise DataError(
                f"{self.config.data.dataset}: {len(names)} classes ({listed(names, 5)}), but train.loss "
                f"{self.config.train.loss.type_name!r} scores one sigmoid foreground class (masks of 0 and 1); "
                f"use a softmax loss (sparse_categorical_crossentropy, dice, crossentropy_dice)"
            )
        return names

    def output_units(self, class_names, target_dim) -> int:
        return 1 if self.head == "sigmoid" else len(class_names)

    def output_meaning(self, units: int) -> str:
        return "one foreground class (one sigmoid channel)" if self.head == "sigmoid" else f"{units} classes"

    def units_known(self, class_names) -> bool:
        return bool(class_names) or self.head == "sigmoid"

    def expected_units(self, peek):
        if self.head == "sigmoid":
            return 1, "a sigmoid segmentation scores one foreground channel"
        from dlkit.tasks.last_layer import class_units

        return class_units(peek)

    def layer_problems(self, peek) -> list[tuple[tuple, str]]:
        """Also the filters of a last convolution (a segmentation model ends in one, not in dense units)."""
        problems, expected = super().layer_problems(peek), self.expected_units(peek)
        index = len(self.config.model.layers) - 1
        filters = getattr(self.config.model.layers[index], "filters", None)
        if expected and isinstance(filters, int) and filters != expected[0]:
            where = ("model", "layers", index, "filters")
            problems.append((where, f"{filters} filters, but {expected[1]}; set filters: {expected[0]}"))
        return problems

    def check_units(self, model, class_names, target_dim) -> None:
        super().check_units(model, class_names, target_dim)
        given, wanted = tuple(model.output_shape[1:-1]), tuple(model.input_shape[1:3])
        if given != wanted:
            shown = "x".join(map(str, given)) if given else "no image"
            raise ConfigError(
                f"model.layers.{len(self.config.model.layers) - 1}: the model gives {shown} per image but "
                f"masks are {'x'.join(map(str, wanted))}; end with a same-padded conv2d at the input's size"
            )

    # --- results ---

    def constant_baselines(self, data) -> dict[str, np.ndarray]:
        """`majority`: each class's share of the training masks' pixels as its probability on
        every pixel, which decides for the most frequent class everywhere."""
        import numpy as np

        masks = np.asarray(data.splits.train.y, dtype="int64")
        shares = np.bincount(masks.reshape(-1), minlength=max(len(data.class_names), 2)) / max(masks.size, 1)
        pixel = shares[1:2] if self.head == "sigmoid" else shares
        return {"majority": self.from_probabilities(np.broadcast_to(pixel, (*masks.shape[1:3], len(pixel))))}

    def decisions(self, outputs: np.ndarray) -> np.ndarray:
        """(N, H, W) class ids."""
        if self.head == "sigmoid":
            return (self.probabilities(outputs)[..., 0] > 0.5).astype("int64")
        return outputs.argmax(axis=-1)

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        figures = mask_scores(y_true, self.decisions(outputs), max(outputs.shape[-1], 2))
        return {name: figures[name] for name in sorted(self.config.eval.metrics)}

    def write_report(self, split, outputs: np.ndarray, class_names: list[str], folder: Path, title: str) -> dict:
        """IoU and Dice of each class, the confusion matrix of the pixels, and the best and worst
        predictions beside their images and true masks."""
        import numpy as np

        from dlkit.core import plots
        from dlkit.tasks.segmentation.report import best_and_worst

        predicted = self.decisions(outputs)
        figures = mask_scores(split.y, predicted, len(class_names))
        rows = [
            {
                "class": name,
                "iou": figures["iou"][i],
                "dice": figures["dice_per_class"][i],
                "pixels": figures["pixels"][i],
            }
            for i, name in enumerate(class_names)
        ]
        plots.confusion_matrix(np.array(figures["confusion"]), class_names, folder / "confusion_matrix.png", title)
        report = {"per_class": rows, "confusion_matrix": {"classes": class_names, "matrix": figures["confusion"]}}
        if len(split.y):
            report["examples"] = best_and_worst(split, predicted, len(class_names), folder / "examples.png", title)
        return report

    def report_tables(self, report: dict) -> list[Table]:
        rows = [
            [row["class"], f"{row['iou']:.4f}" if row["iou"] is not None else "-", f"{row['dice']:.4f}"
             if row["dice"] is not None else "-", f"{row['pixels']:,}"]
            for row in report.get("per_class", [])
        ]  # fmt: skip
        return [Table("per class", ["class", "iou", "dice", "true pixels"], rows)] if rows else []

    # --- predict ---

    def describe(self, output: np.ndarray, classes: list[str], top_k: int) -> dict[str, Any]:
        """The mask (class ids, run-length encoded) and each class's share of its pixels."""
        return self._mask_row(self.decisions(output[None])[0], classes)

    def predicted(self, described, inputs: list[str], run_dir: Path, options: dict[str, Any]) -> None:
        """Each mask brought to its image's own size (nearest neighbour) and written as a PNG of
        class ids into RUN/predictions/ (with `overlay`, the image tinted by class beside it)."""
        from PIL import Image

        from dlkit.core.runs import atomic_write, read_run
        from dlkit.core.writing import inside
        from dlkit.data.images import read_image
        from dlkit.data.segmentation_folder import nearest
        from dlkit.tasks.segmentation.report import overlay

        classes = read_run(run_dir).get("classes") or []
        folder = inside(run_dir, "predictions", folder=True)
        used: set[str] = set()
        for row, name in zip(described.rows, inputs, strict=True):
            path = Path(name)
            with Image.open(path) as image:
                width, height = image.size
            mask = nearest(decode_rle(row["mask"]), height, width).astype("uint8")
            row.update(self._mask_row(mask, classes))
            stem = path.stem if path.stem not in used else f"{path.stem}-{len(used)}"
            used.add(stem)
            row["mask_file"] = str(folder / f"{stem}.mask.png")
            atomic_write(Path(row["mask_file"]), _png(Image.fromarray(mask, "L")))
            if options.get("overlay"):
                row["overlay_file"] = str(folder / f"{stem}.overlay.png")
                tinted = overlay(read_image(path, (height, width, 3)), mask, len(classes))
                atomic_write(Path(row["overlay_file"]), _png(Image.fromarray(tinted, "RGB")))

    @staticmethod
    def _mask_row(mask: np.ndarray, classes: list[str]) -> dict[str, Any]:
        import numpy as np

        counts = np.bincount(mask.reshape(-1), minlength=max(len(classes), 2))
        names = [classes[i] if i < len(classes) else str(i) for i in range(len(counts))]
        return {
            "mask": encode_rle(mask),
            "shares": {n: float(c / mask.size) for n, c in zip(names, counts, strict=True)},
        }

    file_cells = (0, 2)

    def columns(self, top_k: int) -> tuple[str, str, str]:
        return "classes", "", "mask"

    def shown(self, row: dict[str, Any]) -> tuple[str, str, str]:
        shares = sorted(row["shares"].items(), key=lambda item: -item[1])
        shown = ", ".join(f"{name} {share:.1%}" for name, share in shares if share > 0)
        return shown, "", Path(row.get("mask_file", "")).name


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """An (H, W) mask as runs of class ids in row-major order: {size: [H, W], runs: [[id, length], ...]}."""
    import numpy as np

    flat = np.asarray(mask).reshape(-1)
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    lengths = np.diff(np.r_[starts, flat.size])
    return {"size": list(mask.shape), "runs": [[int(flat[s]), int(n)] for s, n in zip(starts, lengths, strict=True)]}


def decode_rle(encoded: dict[str, Any]) -> np.ndarray:
    import numpy as np

    ids, lengths = zip(*encoded["runs"], strict=True) if encoded["runs"] else ((), ())
    return np.repeat(np.array(ids, dtype="int64"), lengths).reshape(encoded["size"])


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
