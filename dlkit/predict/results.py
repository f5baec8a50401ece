"""What `dlkit predict` returns, gathered batch by batch: the first rows (a table shows a head;
`--json` asks for all), every row that could not be predicted, the values training never saw, and
the score against the known answers the inputs hold, so that memory is bounded by a batch."""

from __future__ import annotations

import dataclasses

import numpy as np

from dlkit.core.strict import listed
from dlkit.engine.described import Described
from dlkit.predict.inputs import SHOWN


@dataclasses.dataclass
class Unseen:
    """Rows holding values training never saw, for one column (`words` for text runs)."""

    column: str
    rows: int
    #: Table runs: the distinct unseen values; text runs: the inputs.
    values: list[str]

    def __str__(self) -> str:
        shown = listed([short(v) if self.column == "words" else repr(short(v)) for v in self.values], SHOWN)
        if self.column == "words":
            their = "its" if self.rows == 1 else "their"
            return f"{count(self.rows, 'text')} with most of {their} words not in the training vocabulary ({shown})"
        value = "a value" if len(self.values) == 1 else "values"
        return f"{self.column}: {count(self.rows, 'row')} with {value} not seen in training ({shown})"


@dataclasses.dataclass
class Score:
    """The predictions against the known answers the inputs hold: a CSV's target column, or the
    class sub-folders images are in."""

    #: Where the answers are: `target column 'price'`.
    source: str
    rows: int
    metrics: dict[str, float]
    #: What was scored: `row`, `image`.
    noun: str = "row"

    def __str__(self) -> str:
        figures = ", ".join(f"{name} {value:.4g}" for name, value in self.metrics.items())
        return f"{self.source} present: {figures} on {count(self.rows, self.noun)}"


@dataclasses.dataclass
class Predictions:
    #: The run folder and its kind, as errors name it: `runs/x (an image run)`.
    run: str
    #: The first rows (all of them unless predict was asked for fewer): the prediction, or
    #: `error`; `unseen` marks values training never saw.
    rows: list[dict]
    unseen: list[Unseen]
    score: Score | None = None
    #: Each of `rows` as (prediction, probability, more) for a table, as its task shows it.
    shown: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    #: What the reader has to say about the inputs (sub-folders that are no class of the run).
    warnings: list[str] = dataclasses.field(default_factory=list)
    #: The headers of `shown`'s cells ("" for one the task never fills).
    columns: tuple[str, str, str] = ("prediction", "", "")
    #: How many rows there were in all, and (input, reason) of each that could not be predicted.
    total: int = 0
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class Gathered:
    """The batches' rows as they pass: those `keep` asks for (all when None), the errors, the
    unseen values and the score's parts."""

    def __init__(self, task, classes: list[str], keep: int | None):
        self.task, self.classes, self.keep = task, classes, keep
        self.rows: list[dict] = []
        self.shown: list[tuple[str, str, str]] = []
        self.total = 0
        self.errors: list[tuple[str, str]] = []
        self.unseen: dict[str, Unseen] = {}
        self.warnings: list[str] = []
        #: The score's parts of each batch; None once a batch's cannot be scored.
        self.parts: list[np.ndarray] | None = []
        self.scored: tuple[str, str] | None = None

    def add(self, rows: list[dict], good: np.ndarray, described: Described, read) -> None:
        """A batch: its `rows` (the reader's), the indices `good` of those `described` predicts."""
        room = len(rows) if self.keep is None else max(0, min(len(rows), self.keep - len(self.rows)))
        where = dict(zip(good[:room].tolist(), range(room), strict=False)) if room else {}
        for i, row in enumerate(rows[:room]):
            if i in where:
                row.update(described.row(where[i]))
            self.rows.append(row)
            self.shown.append(described.shown(where[i]) if i in where else ("", "", ""))
        self.total += len(rows)
        self.errors += [(row["input"], row["error"]) for row in rows if "error" in row]
        self._mark_unseen([row for row in rows if "unseen" in row])
        self.warnings += read.warnings
        if read.targets is not None and self.parts is not None:
            self._score(described, read)

    def _mark_unseen(self, rows: list[dict]) -> None:
        for row in rows:
            for column, value in row["unseen"].items():
                entry = self.unseen.setdefault(column, Unseen(column, 0, []))
                entry.rows += 1
                shown = row["input"] if column == "words" else value
                if shown not in entry.values:
                    entry.values.append(shown)

    def _score(self, described: Described, read) -> None:
        """The task's parts of the predictions against the known answers that are filled (target
        cells, class sub-folders that are the run's classes)."""
        self.scored = self.scored or (read.scored, read.noun)
        filled = np.flatnonzero(_filled(read.targets))
        if not len(filled):
            return
        parts = self.task.score_parts(described.take(filled), np.asarray(read.targets, object)[filled], self.classes)
        self.parts = None if parts is None else [*self.parts, parts]

    def predictions(self, run: str, columns: tuple[str, str, str]) -> Predictions:
        score = None
        if self.parts:
            figures = self.task.score_figures(np.concatenate(self.parts), self.classes)
            score = Score(self.scored[0], figures[1], figures[0], self.scored[1]) if figures else None
        unseen = list(self.unseen.values())
        return Predictions(run, self.rows, unseen, score, self.shown, self.warnings, columns, self.total, self.errors)


def _filled(targets) -> np.ndarray:
    """Whether each known answer is there (a blank target cell is none), each distinct one read once."""
    import pandas as pd

    from dlkit.data.table import category_text

    codes, distinct = pd.factorize(pd.Series(list(targets), dtype=object))
    return np.array([bool(category_text(v, False)) for v in distinct] + [False], dtype=bool)[codes]


def short(text: str) -> str:
    """A value or input as a message quotes it: long ones cut, so a line stays short."""
    return text if len(text) <= 40 else text[:37] + "..."


def count(n: int, noun: str) -> str:
    """`1 row`, `12,000 rows`: a number as the rest of dlkit writes it, and its noun."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
