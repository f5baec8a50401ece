"""`dlkit runs`: the table of the run folders under a folder, read from their files alone: each
run's status, dataset, epochs, best and test figures, its margin over the best baseline and when it
started; sorted and filtered on any dotted key (`dlkit.commands.compare.select`). Nothing here
prints or imports TensorFlow."""

from __future__ import annotations

from pathlib import Path

from dlkit.commands.compare import margin, read_config, record, select
from dlkit.core.run_record import BadRunFile
from dlkit.core.runs import incomplete_runs, list_runs, read_metrics, read_run, run_status
from dlkit.engine.task import Table

#: The columns of every run; the key sorted on comes after them.
COLUMNS = ("run", "status", "dataset", "epochs", "best", "test", "margin", "started")


def runs_table(
    root: Path, sort: str | None = None, filters: list[str] = (), reverse: bool = False
) -> tuple[Table, list[str]]:
    """The runs under `root` as a table titled with it, and a warning for each run whose files
    dlkit cannot use (its row says which file). Without filters, a folder stopped before its
    run.json is a row `incomplete`; without a sort, rows are in name order. A column no run fills
    (a GAN's test figures) is left out rather than shown empty."""
    found = list_runs(root)
    if sort or filters or reverse:
        found = select(found, sort, filters, reverse)
    columns = [*COLUMNS, *([sort] if sort else ())]
    rows, warnings = [], []
    for path in found:
        try:
            rows.append(run_row(path, sort))
        except BadRunFile as e:
            rows.append([path.name, e.mark, *[""] * (len(columns) - 2)])
            warnings.append(str(e))
    if not filters:  # it has nothing a filter could match
        rows += [[path.name, "incomplete", *[""] * (len(columns) - 2)] for path in incomplete_runs(root)]
        rows = rows if sort or reverse else sorted(rows)
    shown = [i for i in range(len(columns)) if i < 2 or any(row[i] for row in rows)]
    return Table(str(root), [columns[i] for i in shown], [[row[i] for i in shown] for row in rows]), warnings


def run_row(path: Path, sort: str | None = None) -> list[str]:
    """The run's cells (and the value of the key sorted on); a BadRunFile where its run.json,
    metrics.json or config.yaml is not one dlkit can use (as eval and predict would find)."""
    info, metrics = read_run(path), read_metrics(path)
    read_config(path)
    best = info.get("best") or {}
    if not best and info.get("best_epoch"):  # nothing monitored (a GAN): the kept epoch's own figures
        best = metrics.get("train") or {}
    test = info.get("test") or {}
    headline = info.get("headline")
    if headline is None:  # runs of earlier versions
        name = next((k for k in ("accuracy", "auc", "mae", "loss") if k in test), None)
        headline = {name: test[name]} if name else {}
    ahead = margin(metrics, headline)  # over the best baseline
    row = [
        path.name,
        run_status(info),
        info.get("dataset") or "",
        str(info.get("epochs", "")),
        ", ".join(f"{k} {v:.4f}" for k, v in best.items()),
        ", ".join(f"{k} {v:.4f}" for k, v in headline.items()),
        "" if ahead is None else f"{ahead:+.3f}",
        (info.get("started") or "")[:16].replace("T", " "),
    ]
    if sort:  # the key sorted on, whatever the other columns show
        row.append(_cell(record(path).get(sort)))
    return row


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)
