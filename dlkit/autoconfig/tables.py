"""What `dlkit init` finds in a CSV file: a table with a target column, texts with labels, or a
time series (one numeric column, or numeric columns beside a date, in time order)."""

from __future__ import annotations

from pathlib import Path

from dlkit.autoconfig.draft import MAX_CLASSES, NUMBERS, ORDERED_SPLIT, TWO_CLASSES, Draft, class_target, task_for
from dlkit.autoconfig.files import series_window
from dlkit.autoconfig.target import TARGET_NAMES, WEAK_NAME, choose_target, given_column, leaks, year_range
from dlkit.core.errors import DataError, UsageError
from dlkit.data.peek import column_values, label_classes
from dlkit.data.table import Csv, read_csv

#: Column names that say "this is the time of the row".
TIME_NAMES = ("date", "time", "timestamp", "datetime", "year", "month", "day")
#: A text column holds at least this many words per cell on average.
TEXT_WORDS = 4
#: A categorical column with more distinct values than this gets an embedding rather than one-hot.
EMBED_ABOVE = 50
#: How init has a table's numeric columns encoded: each as its piecewise-linear encoding over
#: quantile bins of the training split, then a Linear + ReLU (Gorishniy et al. 2022). Measured with
#: init's recipe over three seeds (docs/tables.md): diamonds' test RMSE 534.6 against 558.2 with
#: standardised columns, Computers' 150.9 against 182.3, fair's accuracy 0.7227 against 0.7172;
#: within a seed's noise elsewhere.
NUMERIC_ENCODING = "piecewise_linear"
NUMERIC_SHOWN = "piecewise-linear embeddings"
NUMERIC_WHY = "each numeric column embedded over its quantile bins: docs/tables.md measures it against standardised"

#: A numeric target with a sample skewness over this is learned as its log (`skewed_target`).
SKEWED = 1.0


def sniff_csv(path: Path, target: str | None = None) -> Draft:
    """`target`: the column `--target` names (None: dlkit init proposes one)."""
    frame = read_csv(path)
    if frame.empty or not len(frame.columns):
        raise DataError(f"{path}: no rows; dlkit init needs a header line and data rows")
    columns = len(frame.columns)
    what = f"a CSV file ({len(frame):,} rows, {columns} column{'s' if columns > 1 else ''})"
    times = [c for c in frame.columns if _is_time(frame[c], c)]
    numeric = [c for c in frame.columns if c not in times and frame[c].dtype.kind in "iuf"]
    rest = [c for c in frame.columns if c not in times]
    if rest and len(rest) == len(numeric) and (times or len(rest) == 1):
        return _series(path, frame, rest, times, what, target)
    given = given_column(target, list(frame.columns), path) if target is not None else None
    words = {c: _mean_words(frame[c]) for c in rest if frame[c].dtype == object and c != given}
    text = max(words, key=words.get, default=None)
    if text is not None and words[text] >= TEXT_WORDS and len(frame.columns) > 1:
        return _texts(path, frame, text, words[text], what, target)
    return _table(path, frame, what, target)


def _is_time(column, name: str) -> bool:
    """A column of times in order: whole numbers named like a time (`year`), or dates. A column of
    times out of order (a table's `signup_date`, `year` of a car) is a feature."""
    import pandas as pd

    if column.dtype.kind in "iu":
        return name in TIME_NAMES and column.is_monotonic_increasing
    if column.dtype != object or name not in TIME_NAMES and not column.astype(str).str.contains(r"\d[-/:]\d").all():
        return False
    parsed = pd.to_datetime(column, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.9) and parsed.dropna().is_monotonic_increasing


def _mean_words(column) -> float:
    present = column.dropna().astype(str)
    return float(present.str.split().str.len().mean()) if len(present) else 0.0


def _target_kind(path: Path, frame, target: str, names: bool = False) -> tuple[str, int, str]:
    """(target kind, classes, why), the classes counted the way training will count them: whole
    numbers 0..max are class indices, unless the loader reads every label as a name (`names`)."""
    values = frame[target].dropna()
    distinct = values.nunique()
    if distinct < 2:
        raise DataError(f"{path}: target column {target!r} holds {distinct} distinct value(s); nothing to learn")
    numbers = f"task {task_for(NUMBERS)}: {target!r} holds"
    if values.dtype.kind in "iuf":
        if values.dtype.kind == "f" and not (values % 1 == 0).all():
            return NUMBERS, 0, f"{numbers} numbers with fractions"
        if distinct > MAX_CLASSES:
            return NUMBERS, 0, f"{numbers} {distinct:,} distinct numbers (over {MAX_CLASSES})"
        if years := year_range(values):
            return NUMBERS, 0, f"{numbers} years ({years[0]}..{years[1]}), predicted as a number"
    read = None if names else column_values(path, list(frame.columns).index(target))
    classes = max(len(label_classes(*read) or []) if read else distinct, distinct)
    if classes > MAX_CLASSES:  # whole numbers are class indices: 0..max, most of them never seen
        top = int(values.max())
        return NUMBERS, 0, f"{numbers} whole numbers up to {top}: as classes they would be 0..{top}; a number instead"
    kind, why = class_target(classes, repr(target))
    return kind, classes, why


def _table(path: Path, frame, what: str, given: str | None) -> Draft:
    choice = choose_target(frame, path, given)
    target = choice.column
    kind, classes, why_task = _target_kind(path, frame, target)
    options = {"path": path, "target": target}
    notes = [*choice.notes(), why_task, *_blank_targets(frame, target)]
    features = [c for c in frame.columns if c != target]
    ids = [c for c in features if frame[c].dtype.kind in "iuO" and frame[c].nunique() == len(frame) > 20]
    if ids:
        options["drop"] = ids
        notes.append(f"drop {ids}: a different value in every row, an identifier rather than a feature")
    features = [c for c in features if c not in ids]
    if not features:
        raise DataError(f"{path}: no column to learn from besides the target {target!r}")
    wide = [c for c in features if frame[c].dtype == object and frame[c].nunique() > EMBED_ABOVE]
    if wide:
        options["categorical_encoding"] = "embedding"
        notes.append(f"categorical_encoding embedding: {wide} hold over {EMBED_ABOVE} categories each")
    if frame[features].isna().any().any():
        options["missing"] = "mean"
        notes.append("missing: mean: some cells are empty; rows are kept, cells filled from the training split")
    skewed = skewed_target(frame[target], target) if kind == NUMBERS else None
    if skewed:
        options["target_transform"] = skewed[0]
        notes.append(f"target_transform {skewed[0]}: {skewed[1]}")
    kinds = list(Csv.model_validate(options).columns(frame).values())  # as the loader will read them
    numeric, categorical = kinds.count("numeric"), kinds.count("categorical")
    if numeric:
        options["numeric_encoding"] = NUMERIC_ENCODING
    encoded = "embedded" if wide else "one-hot"
    shown = f"{numeric} numeric ({NUMERIC_SHOWN}), {categorical} of categories ({encoded})"
    notes.append(f"features: the other {len(features)} columns, {shown}")
    if kind != NUMBERS:
        notes += [
            f"warning: {name!r} alone tells the classes of {target!r} apart: if it is made from the target or "
            f"known only after it, leave it out (data.options.drop), or the figures will flatter the model"
            for name in leaks(frame, target, features)
        ]
    comments = {"numeric_encoding": NUMERIC_WHY} | ({"target_transform": skewed[2]} if skewed else {})
    draft = Draft(path, what, "csv", options, "mlp", kind, classes=classes, notes=notes, comments=comments)
    draft.examples, draft.names = len(frame), frame[target].dtype == object
    return draft


def skewed_target(values, name: str) -> tuple[str, str, str] | None:
    """(`target_transform`, why, the config's comment beside it) for a target of positive numbers
    skewed to the right: `log` when every value is > 0, `log1p` when the smallest is 0. Skewed
    means a sample skewness over `SKEWED` (Bulmer's rule of thumb for highly skewed): then the
    large values, few and far apart, would outweigh the rest in a squared error, and the error of
    log(y) is a relative one instead.
    None for any other target (negative values, or nearly symmetric ones)."""
    values = values.dropna()
    smallest, skewness = float(values.min()), float(values.skew())
    if smallest < 0 or not skewness > SKEWED:
        return None
    transform, learned = ("log", f"log({name})") if smallest > 0 else ("log1p", f"log(1 + {name})")
    sign = "> 0" if smallest > 0 else ">= 0 (zeros among them)"
    why = (
        f"{name!r} holds numbers {sign} skewed to the right (skewness {skewness:.2f} > {SKEWED:g}): the model "
        f"learns {learned}, so its loss weighs relative errors, and answers in the units of {name!r}"
    )
    return transform, why, f"skewness {skewness:.2f} > {SKEWED:g}: learns {learned}; none learns {name} itself"


def _blank_targets(frame, target: str) -> list[str]:
    blank = int(frame[target].isna().sum())
    return [f"{blank:,} rows have no {target!r}: training leaves them out"] if blank else []


def _texts(path: Path, frame, text: str, words: float, what: str, given: str | None) -> Draft:
    choice = choose_target(frame, path, given, leave_out=[text])
    target = choice.column
    kind, classes, why_task = _target_kind(path, frame, target, names=True)
    if kind == NUMBERS:
        raise DataError(f"{path}: text column {text!r} with a numeric target {target!r}: dlkit learns classes of texts")
    lengths = frame[text].dropna().astype(str).str.split().str.len()
    vocabulary = len({w for cell in frame[text].dropna().astype(str) for w in cell.lower().split()})
    length = int(min(200, max(8, lengths.quantile(0.95))))
    max_tokens = int(min(20_000, vocabulary + 2))
    options = {
        "path": path,
        "text_column": text,
        "target": target,
        "max_tokens": max_tokens,
        "sequence_length": length,
    }
    notes = [
        f"text {text!r}: free text, {words:.1f} words a row on average",
        *choice.notes(),
        why_task,
        *_blank_targets(frame, target),
        f"sequence_length {length}: 95% of the texts are this long or shorter",
        f"max_tokens {max_tokens:,}: the distinct words seen, and 2 for padding and unknown words",
    ]
    return Draft(path, what, "text_csv", options, "text", kind, classes=classes, notes=notes, examples=len(frame))


def _series(path: Path, frame, columns: list[str], times: list[str], what: str, given: str | None) -> Draft:
    if given is not None and given_column(given, list(frame.columns), path) not in columns:
        raise UsageError(f"--target {given}: a series predicts one of its numeric columns: {', '.join(columns)}")
    named = next((n for n in (*TARGET_NAMES, WEAK_NAME) if n in columns), None)
    target = given_column(given, columns, path) if given is not None else named or columns[-1]
    why = "its name says so" if named else "the last column"
    why = "as --target says" if given is not None else f"{why}; --target COLUMN picks another"
    window = series_window(len(frame))
    options = {"path": path, "features": columns, "target": target, "window": window}
    order = f"in the order of {times[0]!r}" if times else "one numeric column"
    notes = [
        f"a time series: {len(frame):,} steps, {order}; the rows must be in time order",
        f"target {target!r} ({why}): its next value; `--task {task_for(TWO_CLASSES)}` predicts whether it rises",
        f"window {window}: each example is the {window} steps before",
    ]
    return Draft(path, what, "sequence", options, "lstm", NUMBERS, notes=notes, normalize=True, split=ORDERED_SPLIT)
