"""Request bodies of `dlkit serve`: TF Serving's `{"instances": [...]}` (or the columnar
`{"inputs": ...}`) decoded into the examples a run's model takes. Rows, texts and image files go
through `dlkit predict`'s readers (`dlkit.predict.inputs`), so they predict as they do there."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import io
import math
from typing import Any

import numpy as np

from dlkit.core.strict import listed
from dlkit.data.images import antialiased
from dlkit.predict.inputs import SHOWN, read_texts
from dlkit.predict.tables import table_examples, wanted_columns
from dlkit.serve.bodies import BadRequest, parse_json

#: What a string with a lone surrogate is told.
UNPAIRED = "the string holds an unpaired surrogate (such as \\ud800), which is not Unicode text"
#: What a refused non-finite value is told.
NONFINITE = "not a finite number (NaN, Infinity, or beyond {dtype}'s range); --allow-nonfinite takes them"


@dataclasses.dataclass
class Decoded:
    #: What the model takes: an array, or a dict of arrays (table runs).
    examples: Any
    count: int
    #: Per instance: the values training never saw (predict's `unseen`), or None.
    unseen: list[dict | None]


def instances_of(body: bytes) -> list:
    """The instances of a request body; a body of another shape is a BadRequest saying which."""
    data = parse_json(body)
    if not isinstance(data, dict) or not ("instances" in data or "inputs" in data):
        raise BadRequest('expected a JSON object {"instances": [...]} (or the columnar {"inputs": ...})')
    items = data["instances"] if "instances" in data else _rows_of_columns(data["inputs"])
    if not isinstance(items, list):
        raise BadRequest(f'"instances" must be a list. Received: {type(items).__name__}')
    if not items:
        raise BadRequest("no instances to predict")
    return items


def _rows_of_columns(inputs):
    """`{"inputs": {"col": [...], ...}}` as one object per row; a list is taken as instances."""
    if not isinstance(inputs, dict):
        return inputs
    columns = {name: values for name, values in inputs.items()}
    lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise BadRequest('"inputs" as columns: every column must be a list, all of one length')
    if len(columns) == 1:  # one named input: its values are the instances
        return next(iter(columns.values()))
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


class Decoder:
    """Instances to examples for one served run, by the kind of data it was trained on."""

    def __init__(self, model, info: dict, options: dict):
        self.model, self.options = model, options
        self.kind = info.get("input", {}).get("kind")
        self.features = info.get("input", {}).get("features")
        self.shape = tuple(info.get("input", {}).get("shape") or model.input_shape[1:])
        if self.kind in ("table", "array"):
            self.columns = wanted_columns(model, self.kind, self.features)
        self.dtype = model.inputs[0].dtype

    def describe_input(self) -> dict:
        """The input as the metadata endpoint shows it."""
        if self.kind in ("table", "array") and self.columns:
            return {"kind": self.kind, "columns": list(self.columns)}
        return {"kind": self.kind, "shape": list(self.model.input_shape[1:])}

    def decode(self, instances: list, finite: bool = True) -> Decoded:
        """The examples of `instances`; with `finite`, one holding NaN, an infinity or a number
        beyond the input's float range is refused, naming the instance."""
        if self.kind == "text":
            return self._texts(instances)
        if self.kind == "table" or (self.kind == "array" and any(isinstance(item, dict) for item in instances)):
            return self._rows(instances, finite)  # names the instances that are not objects
        with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values are refused below
            if self.kind == "image":
                examples = self._images(instances)
            else:
                examples = _arrays(instances, tuple(self.model.input_shape[1:]), self.dtype)
        if finite:
            _refuse([f"instance {i}: {NONFINITE.format(dtype=self.dtype)}" for i in nonfinite(examples)])
        return Decoded(examples, len(instances), [None] * len(instances))

    def _images(self, instances: list) -> np.ndarray:
        height, width, channels = self.shape
        if not any(isinstance(item, dict) for item in instances):  # raw pixels: one conversion
            with contextlib.suppress(ValueError, TypeError, OverflowError):  # else the slow path names it
                pixels = np.asarray(instances, dtype=self.dtype)
                if pixels.shape[1:] == self.shape or (channels == 1 and pixels.shape[1:] == self.shape[:2]):
                    return pixels.reshape(len(instances), *self.shape)
        images, errors = [], []
        for i, item in enumerate(instances):
            try:
                images.append(self._image(item))
            except ValueError as e:
                errors.append(f"instance {i}: {e}")
        _refuse(errors)
        return np.stack(images).astype(self.dtype)

    def _image(self, item) -> np.ndarray:
        if isinstance(item, dict):
            if set(item) != {"b64"} or not isinstance(item["b64"], str):
                raise ValueError('an image file is {"b64": "<base64 of the file>"}')
            return _image_file(item["b64"], self.shape, antialiased(self.options))
        shapes = [self.shape, self.shape[:2]] if self.shape[2] == 1 else [self.shape]
        return _array(item, shapes, self.dtype, 'pixels, or {"b64": ...} of an image file').reshape(self.shape)

    def _texts(self, instances: list) -> Decoded:
        from dlkit.predict.run import apply_policy

        wrong = [f"instance {i}: expected a string" for i, item in enumerate(instances) if not isinstance(item, str)]
        _refuse(wrong)
        _refuse([f"instance {i}: {UNPAIRED}" for i, item in enumerate(instances) if _unpaired(item)])
        read = read_texts([], instances, self.model)
        apply_policy(read.rows, self.options.get("unseen", "warn"))
        _refuse([f"instance {i}: {row['error']}" for i, row in enumerate(read.rows) if "error" in row])
        return Decoded(read.examples, len(instances), [row.get("unseen") for row in read.rows])

    def _rows(self, instances: list, finite: bool) -> Decoded:
        """Objects by column name, read as `dlkit predict` reads a CSV file's rows."""
        import pandas as pd

        from dlkit.data.table import column_name
        from dlkit.predict.run import apply_policy
        from dlkit.predict.tables import frame_rows

        wanted, errors, rows = self.columns, [], []
        for i, item in enumerate(instances):
            if not isinstance(item, dict):
                errors.append(f"instance {i}: expected an object of {listed(wanted, SHOWN)}")
                continue
            row = {column_name(key): value for key, value in item.items()}
            wrong = _row_error(row, wanted)
            if wrong:
                errors.append(f"instance {i}: {wrong}")
            rows.append(row)
        _refuse(errors)
        frame = pd.DataFrame({name: pd.Series([row[name] for row in rows], dtype=object) for name in wanted})
        with np.errstate(over="ignore", invalid="ignore"):  # past float32: refused below
            read, values = frame_rows(frame, wanted, "request")
        apply_policy(read, self.options.get("unseen", "warn"))
        _refuse([f"instance {i}: {row['error']}" for i, row in enumerate(read) if "error" in row])
        if finite:
            bad = _nonfinite_cells(rows, frame, values, wanted)
            _refuse([f"instance {i}: column {name!r}: {NONFINITE.format(dtype='float32')}" for i, name in bad])
        return Decoded(table_examples(values, self.kind), len(instances), [row.get("unseen") for row in read])


def _row_error(row: dict, wanted: dict) -> str | None:
    """What is wrong with a row's columns before they are read (missing, not a scalar, a number
    past any float in a numeric column), or None."""
    missing = [name for name in wanted if name not in row]
    if missing:
        return f"missing columns {listed(missing, SHOWN)}; the model takes {listed(wanted, SHOWN)}"
    odd = [name for name in wanted if not isinstance(row[name], (str, int, float, type(None)))]
    if odd:
        return f"column {odd[0]!r}: expected a number, a string or null"
    unpaired = [name for name in wanted if isinstance(row[name], str) and _unpaired(row[name])]
    if unpaired:
        return f"column {unpaired[0]!r}: {UNPAIRED}"
    huge = [name for name in wanted if wanted[name] is None and isinstance(row[name], int) and _past_float(row[name])]
    return f"column {huge[0]!r}: a number beyond float64's range" if huge else None


def _unpaired(text: str) -> bool:
    """Whether `text` holds a lone surrogate (JSON's "\\ud800"), which is no UTF-8 a model can read."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _past_float(number: int) -> bool:
    try:
        float(number)
    except OverflowError:
        return True
    return False


def _image_file(text: str, shape, antialias: bool) -> np.ndarray:
    from PIL import Image

    from dlkit.data.images import read_image

    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("b64 is not valid base64") from None
    try:
        return read_image(io.BytesIO(data), shape, antialias)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ValueError(f"cannot decode the b64 image ({type(e).__name__}: {str(e)[:100]})") from None


def _array(item, shapes: list[tuple], dtype, what: str) -> np.ndarray:
    """`item` as an array of one of `shapes` (the first is the one to name)."""
    expected = _dims(shapes[0]) + "".join(f" (or {_dims(s)})" for s in shapes[1:])
    try:
        array = np.asarray(item, dtype=dtype)
    except (ValueError, TypeError):
        raise ValueError(f"expected numbers ({what}) in a nested list of shape {expected}") from None
    except OverflowError:
        raise ValueError(f"a number beyond {np.dtype(dtype).name}'s range") from None
    if array.shape not in shapes:
        raise ValueError(f"expected shape {expected}, got {_dims(array.shape)}")
    return array


def _arrays(instances: list, shape: tuple, dtype) -> np.ndarray:
    """Plain nested lists of numbers (array and sequence runs): one array each, then one batch."""
    arrays, errors = [], []
    for i, item in enumerate(instances):
        try:
            arrays.append(_array(item, [shape], dtype, "features"))
        except ValueError as e:
            errors.append(f"instance {i}: {e}")
    _refuse(errors)
    return np.stack(arrays)


def nonfinite(array) -> list[int]:
    """The rows of a float array (or of any of a dict's) holding NaN or an infinity."""
    arrays = array.values() if isinstance(array, dict) else [array]
    bad = set()
    for a in map(np.asarray, arrays):
        if a.dtype.kind == "f" and a.ndim:
            bad.update(np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1)).tolist())
    return sorted(bad)


def _nonfinite_cells(rows: list[dict], frame, values: dict, wanted: dict) -> list[tuple[int, str]]:
    """(instance, column) of each value that is not a finite number: a NaN or infinite float in any
    column, or a numeric column's value beyond float32 ("1e999", 1e39); null (a blank) is not one."""
    bad = {}
    for i, row in enumerate(rows):
        odd = [k for k, v in row.items() if k in wanted and isinstance(v, float) and not math.isfinite(v)]
        if odd:
            bad[i] = odd[0]
    for name, category in wanted.items():
        if category is None:
            given = frame[name].notna().to_numpy()
            for i in np.flatnonzero(given & ~np.isfinite(values[name])):
                bad.setdefault(int(i), name)
    return sorted(bad.items())


def _dims(shape) -> str:
    return "x".join(str(n) for n in shape) or "a scalar"


def _refuse(errors: list[str]) -> None:
    if errors:
        shown = "; ".join(errors[:3]) + (f"; and {len(errors) - 3} more" if len(errors) > 3 else "")
        raise BadRequest(shown if len(shown) <= 400 else shown[:397] + "...")
