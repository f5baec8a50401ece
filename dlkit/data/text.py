"""Raw text with labels: `text_folder` (one file per example) and `text_csv` (a column of texts).
The vocabulary is fitted on the training split only and lives in the model (TextVectorization),
so `dlkit predict --text "..."` takes raw strings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import PositiveInt

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.peek import Peek, class_folders, column_values, csv_header, require_column
from dlkit.data.rows import Duplicates, Rows, settle_duplicates
from dlkit.data.table import UnseenPolicy, column_name, read_csv, require_columns
from dlkit.data.targets import of_cells


class TextDataset(Dataset):
    max_tokens: PositiveInt = 20_000
    """Vocabulary size, including the padding and out-of-vocabulary tokens."""
    sequence_length: PositiveInt = 200
    """Every text becomes this many token ids (cut or padded)."""
    standardize: Literal["lower_and_strip_punctuation", "lower", "strip_punctuation", "none"] = (
        "lower_and_strip_punctuation"
    )
    """How texts are normalised before splitting into words (TextVectorization's standardize)."""
    unseen: UnseenPolicy = "warn"
    """At predict time, a text with most of its words out of the vocabulary is predicted and
    reported (warn), an error, not predicted (error), or predicted silently (ignore)."""

    def info(self) -> DatasetInfo:
        return DatasetInfo((), sorted(set(self.load().y_train.tolist())), "text")

    def needs_tensorflow(self) -> dict[str, str]:
        why = "texts become token ids in Keras's TextVectorization, on TensorFlow's string ops"
        return {"dataset": f"{self.type_name}: {why}"}

    def model_input(self, shape, x_train: Any = None):
        from dlkit.core.backend import keras

        k = keras()
        inputs = k.Input(shape=(1,), dtype="string", name="text")
        vectorize = k.layers.TextVectorization(
            max_tokens=self.max_tokens,
            output_sequence_length=self.sequence_length,
            standardize=None if self.standardize == "none" else self.standardize,
            name="vectorize",
        )
        if x_train is not None:
            vectorize.adapt(x_train)
        return inputs, vectorize(inputs)

    def _arrays(self, texts: list[str], labels: list[str], test: tuple[list, list] | None) -> Arrays:
        import numpy as np

        def strings(values):
            return np.array(values, dtype=str)

        return Arrays(
            x_train=strings(texts),
            y_train=np.array(labels),
            x_test=None if test is None else strings(test[0]),
            y_test=None if test is None else np.array(test[1]),
            kind="text",
            example_shape=(),
        )


@DATASETS.register()
class TextFolder(TextDataset):
    """Texts in path/<class_name>/*.txt, one example per file (the aclImdb layout)."""

    path: Path
    """The folder of class sub-folders of .txt files."""
    test_path: Path | None = None
    """An optional test folder with the same class sub-folders; otherwise data.split.test is held out."""
    encoding: str = "utf-8"
    """The text files' character encoding."""

    def load(self) -> Arrays:
        train = self._read(self.path, "path")
        test = self._read(self.test_path, "test_path") if self.test_path is not None else None
        return self._arrays(*train, test)

    def names_target(self) -> tuple[tuple, str]:
        return ("options", "path"), f"{self.path}"

    def peek(self, classes: bool = True) -> Peek:
        if self.test_path is not None:
            class_folders(self.test_path, ("test_path",))
        return Peek(f"{self.path}", class_folders(self.path, ("path",), {".txt"}))

    def _read(self, folder: Path, key: str) -> tuple[list[str], list[str]]:
        classes = class_folders(folder, (key,))
        texts, labels = [], []
        for name in classes:
            files = sorted((folder / name).glob("*.txt"))
            if not files:
                raise DataError(f"{folder / name}: empty class folder (no .txt files)")
            for path in files:
                try:
                    texts.append(path.read_text(encoding=self.encoding))
                except UnicodeDecodeError as e:
                    raise DataError(f"{path}: not {self.encoding} text ({e.reason} at byte {e.start})") from None
                labels.append(name)
        return texts, labels


@DATASETS.register()
class TextCsv(TextDataset):
    """Texts and labels from two columns of a CSV file."""

    # The label column is `target`, as in the csv and sequence loaders.
    refused = {"label_column": "renamed; did you mean 'target'? (the label column, as in the csv and sequence loaders)"}

    path: Path
    """The CSV file, with a header row."""
    text_column: str = "text"
    """The column of free text the model reads (the one input; other loaders' `features` are lists)."""
    target: str = "label"
    """The column of labels (class names or ids)."""
    test_path: Path | None = None
    """An optional CSV of the same columns for testing; otherwise data.split.test is held out."""
    duplicates: Duplicates = "keep"
    """Identical rows (text and label): keep each; drop all but the first of each; or group: keep
    each, every set of identical rows in one split, so that no validation or test text is also a
    training text. Training prints how many there are, and how many held-out rows are training rows too."""

    def load(self) -> Arrays:
        rows = Rows(0, duplicates=self.duplicates)
        train = self._read(self.path, rows)
        test = self._read(self.test_path, rows) if self.test_path is not None else None
        arrays = self._arrays(*train, test)
        arrays.x_train, arrays.y_train, arrays.groups = settle_duplicates(
            self.duplicates, arrays.x_train, arrays.y_train, rows
        )
        if test is not None:
            test_policy = "drop" if self.duplicates == "drop" else "keep"
            arrays.x_test, arrays.y_test, _ = settle_duplicates(test_policy, arrays.x_test, arrays.y_test, rows)
        arrays.rows, arrays.target = rows, of_cells(set(train[1]), *self.names_target())
        return arrays

    def names_target(self) -> tuple[tuple, str]:
        return ("options", "target"), f"column {column_name(self.target)!r}"

    def peek(self, classes: bool = True) -> Peek:
        """Both columns checked against the header; the classes (names) from the label column alone."""
        text, label = column_name(self.text_column), column_name(self.target)
        header = [column_name(c) for c in csv_header(self.path)]
        require_column(text, header, self.path, ("text_column",))
        require_column(label, header, self.path, ("target",))
        if self.test_path is not None:
            test_header = [column_name(c) for c in csv_header(self.test_path, ("test_path",))]
            for name in (text, label):
                require_column(name, test_header, self.test_path, ("test_path",))
        read = column_values(self.path, header.index(label)) if classes else None
        kind = of_cells(read[0], *self.names_target()) if read else None
        return Peek(f"{self.path} column {label!r}", sorted(read[0]) if read else None, target=kind)

    def _read(self, path: Path, rows: Rows) -> tuple[list[str], list[str]]:
        """The texts and labels of the rows that have both (those left out are counted in `rows`)."""
        frame = read_csv(path)
        text, label = column_name(self.text_column), column_name(self.target)
        require_columns(frame, [text], path, "text")
        require_columns(frame, [label], path, "target")
        rows.read += len(frame)
        for column, why in ((label, "with a blank label"), (text, "with a blank text")):
            blank = frame[column].isna()
            rows.leave_out(why, int(blank.sum()))
            frame = frame[~blank]
        return frame[text].astype(str).tolist(), frame[label].astype(str).tolist()
