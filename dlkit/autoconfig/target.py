"""Which column of a CSV table `dlkit init` proposes to predict, and why, said out loud: the
candidates in order (a column named like a target, the last column, the column of fewest distinct
values), the next ones after the chosen, and the columns passed over (identifiers, years)."""

from __future__ import annotations

import dataclasses

from dlkit.core.errors import UsageError
from dlkit.core.strict import did_you_mean, listed

#: Column names that say "this is what to predict", in the order they are preferred.
TARGET_NAMES = (
    "label", "target", "class", "outcome", "response", "species", "price",
    "sentiment", "diagnosis", "survived", "churn", "quality",
)  # fmt: skip
#: Endings that say the same: `income_class`, `risk_label`.
TARGET_ENDINGS = ("_label", "_target", "_class", "_outcome")
#: `y` is a target's name beside `x1, x2`; beside `x` and `z` it is a coordinate (R's diamonds).
WEAK_NAME = "y"
#: Years as a column holds them: whole numbers in this range.
YEARS = (1900, 2100)
#: A column unique per row is an identifier only past this many rows (a small table's prices may differ in each).
ID_ROWS = 20
#: How many next candidates are named.
NEXT = 3


@dataclasses.dataclass
class TargetChoice:
    column: str
    why: str
    #: The next candidates, each as `'z' (the last column)`.
    others: list[str]
    #: Columns passed over, each with why.
    passed: list[str]
    #: Named by `--target`: no candidates to tell.
    given: bool = False

    def notes(self) -> list[str]:
        if self.given:
            return [f"target {self.column!r}: {self.why}"]
        nexts = f"next candidates: {', '.join(self.others)}; " if self.others else ""
        return [f"target {self.column!r}: {self.why}", f"{nexts}--target COLUMN picks another", *self.passed]


def choose_target(frame, path, given: str | None = None, leave_out=()) -> TargetChoice:
    """The column to predict: `given` (`--target`) when there is one, else the first candidate
    that is not an identifier or a year."""
    columns = [c for c in frame.columns if c not in leave_out]
    unfit = {c: why for c in columns if (why := not_a_target(frame[c], c))}
    candidates = _candidates(frame, columns, unfit)
    ranked = [(c, why) for c, why in candidates if c not in unfit]
    if given is not None:
        column = given_column(given, columns, path)
        if column in unfit and unfit[column].startswith("a different"):
            raise UsageError(f"--target {given}: {column!r} holds {unfit[column]}; nothing to learn from it")
        return TargetChoice(column, "as --target says", [], [], given=True)
    if not ranked:
        shown = "; ".join(f"{c!r}: {why}" for c, why in unfit.items())
        raise UsageError(f"{path}: no column looks like a target ({shown}); name one with --target COLUMN")
    (column, why), rest = ranked[0], ranked[1:]
    others = [f"{c!r} ({why})" for c, why in rest[:NEXT]]
    passed = [f"not {c!r}: {unfit[c]}" for c, _ in candidates if c in unfit]
    if WEAK_NAME in columns and not _weak_name_counts(columns):
        passed.append(f"not {WEAK_NAME!r} for its name: beside 'x' and 'z' it is a measurement, not a target")
    return TargetChoice(column, why, others, passed)


def given_column(given: str, columns: list[str], path) -> str:
    """`--target`'s column, its name normalised as the loaders do (`Petal Length` is `petal_length`)."""
    from dlkit.data.table import column_name

    column = column_name(given)
    if column not in columns:
        hint = did_you_mean(column, columns, listing=False)
        raise UsageError(
            f"--target {given}: no column {column!r} in {path}; the columns are {listed(columns, 40)}"
            + (f" ({hint})" if hint else "")
        )
    return column


def _candidates(frame, columns: list[str], unfit) -> list[tuple[str, str]]:
    """The columns to propose, best first, each with why: named like a target, then the last
    column, then those of fewest distinct values (not `unfit`)."""
    named = [c for name in TARGET_NAMES for c in columns if c == name]
    named += [c for c in columns if c.endswith(TARGET_ENDINGS) and c not in named]
    found = [(c, "its name says so") for c in named]
    if WEAK_NAME in columns and _weak_name_counts(columns):
        found.append((WEAK_NAME, "its name says so (y, beside no better name)"))
    found.append((columns[-1], "the last column"))
    taken = {c for c, _ in found}
    counts = {c: frame[c].nunique() for c in columns if c not in {*taken, *unfit} and not _free_text(frame[c])}
    fewest = sorted((n, i, c) for i, (c, n) in enumerate(counts.items()) if n > 1)[:NEXT]
    found += [(c, f"{n} distinct values" + (", the fewest" if k == 0 else "")) for k, (n, _, c) in enumerate(fewest)]
    return list({c: (c, why) for c, why in reversed(found)}.values())[::-1]  # each once, at its best place


def _weak_name_counts(columns: list[str]) -> bool:
    return not ({"x", "z"} <= set(columns))


def not_a_target(column, name: str) -> str | None:
    """Why a column is no target to propose (an identifier, years), or None."""
    present = column.dropna()
    if name == "id" or name.endswith("_id") or name in ("index", "unnamed_0"):
        return "an identifier, by its name"
    if column.dtype == object and present.nunique() == len(column) > ID_ROWS:
        return "a different value in every row, an identifier"
    if column.dtype.kind in "iu" and present.nunique() == len(column) > ID_ROWS and column.is_monotonic_increasing:
        return "a different value in every row, counting up: a row number"
    years = year_range(column)
    if years:
        return f"whole numbers {years[0]}..{years[1]} look like years: when a row was taken, not what to predict"
    return None


def year_range(column) -> tuple[int, int] | None:
    """(first, last) of a column that looks like years, named so or not: whole numbers in
    1900..2100 (blank cells allowed)."""
    present = column.dropna()
    if column.dtype.kind not in "iuf" or not len(present) or not (present % 1 == 0).all():
        return None
    low, high = int(present.min()), int(present.max())
    return (low, high) if YEARS[0] <= low and high <= YEARS[1] else None


def _free_text(column) -> bool:
    return column.dtype == object and column.dropna().astype(str).str.contains(" ").mean() > 0.5


def leaks(frame, target: str, features: list[str]) -> list[str]:
    """Features that alone tell the target's classes apart: each class its own range of numbers, or
    each category one class. Most often a column made from the target (`affairs` beside
    `affairs > 0`), which would give figures the model cannot reach on new data."""
    present = frame.dropna(subset=[target])
    if len(present) <= ID_ROWS:  # a few rows are told apart by chance
        return []
    found = []
    for name in features:
        column = present[name]
        if column.dtype.kind in "iuf":
            spans = present.groupby(target)[name].agg(["min", "max"]).sort_values("min").to_numpy()
            apart = bool((spans[1:, 0] > spans[:-1, 1]).all())
        else:  # categories: one class each, and far fewer categories than rows (not an identifier)
            apart = column.nunique() < len(present) / 2 and bool((present.groupby(name)[target].nunique() == 1).all())
        if apart:
            found.append(name)
    return found
