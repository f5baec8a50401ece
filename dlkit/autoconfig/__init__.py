"""`dlkit init DATA`: a first config for the user's data, inferred from what the data holds (an
image or text folder, a CSV table, texts or series, a .npz, a .npy series), written commented,
checked as `dlkit validate` checks it, with one line per inference saying why."""

from __future__ import annotations

from pathlib import Path

from dlkit.autoconfig.draft import Draft, render
from dlkit.core.errors import DataError, DlkitError, UsageError


def sniff(data: Path, target: str | None = None) -> Draft:
    """What DATA is, and the config that suits it; `target`: the CSV column to predict (`--target`)."""
    from dlkit.autoconfig.files import sniff_folder, sniff_npy, sniff_npz
    from dlkit.autoconfig.tables import sniff_csv

    if not data.exists():
        raise UsageError(f"{data}: no such file or folder")
    suffix = data.suffix.lower()
    if target is not None and (data.is_dir() or suffix != ".csv"):
        raise UsageError(f"--target {target}: names a column of a CSV file; {data} is not one")
    if data.is_dir():
        return sniff_folder(data)
    readers = {".csv": lambda path: sniff_csv(path, target), ".npz": sniff_npz, ".npy": sniff_npy}
    if suffix not in readers:
        raise DataError(
            f"{data}: not data dlkit init knows; give a folder of class sub-folders, a .csv, a .npz or a .npy"
        )
    return readers[suffix](data)


def init_config(
    data: Path,
    out: Path,
    task: str | None = None,
    command: str = "dlkit init",
    target: str | None = None,
    tune: bool = False,
) -> Draft:
    """Write the config for DATA at `out` (never over an existing file) and check it; a config that
    does not pass is removed, so nothing half-made is left. `tune`: with a search space (tables)."""
    if out.exists():
        raise _exists(out)
    if not out.parent.is_dir():
        raise UsageError(f"-o {out}: no folder {out.parent}")
    draft = sniff(data, target)
    draft.choose_task(task)
    if tune and draft.kind != "table":
        raise UsageError(
            f"--tune: writes a search space for a table (a CSV with a target column); {data} is {draft.what}"
        )
    draft.tune = tune
    from dlkit.commands.validate import check_data
    from dlkit.config import load_config

    text = render(draft, command)
    try:
        with open(out, "x", encoding="utf-8") as f:  # "x": a file made meanwhile is not overwritten either
            f.write(text)
    except FileExistsError:
        raise _exists(out) from None
    try:
        check_data(load_config(out), out)
    except DlkitError:
        out.unlink()
        raise
    return draft


def _exists(out: Path) -> UsageError:
    return UsageError(f"{out} exists; dlkit init does not overwrite it: remove it or give -o ANOTHER.yaml")
