"""`dlkit init DATA`: a first config for the user's data, inferred from what the data holds (an
image or text folder, a CSV table, texts or series, a .npz, a .npy series), written commented,
checked as `dlkit validate` checks it, with one line per inference saying why."""

from __future__ import annotations

from pathlib import Path

from dlkit.autoconfig.draft import Draft, render
from dlkit.errors import DataError, DlkitError, UsageError


def sniff(data: Path) -> Draft:
    """What DATA is, and the config that suits it."""
    from dlkit.autoconfig.files import sniff_folder, sniff_npy, sniff_npz
    from dlkit.autoconfig.tables import sniff_csv

    if not data.exists():
        raise UsageError(f"{data}: no such file or folder")
    if data.is_dir():
        return sniff_folder(data)
    readers = {".csv": sniff_csv, ".npz": sniff_npz, ".npy": sniff_npy}
    if data.suffix.lower() not in readers:
        raise DataError(
            f"{data}: not data dlkit init knows; give a folder of class sub-folders, a .csv, a .npz or a .npy"
        )
    return readers[data.suffix.lower()](data)


def init_config(data: Path, out: Path, task: str | None = None, command: str = "dlkit init") -> Draft:
    """Write the config for DATA at `out` (never over an existing file) and check it; a config that
    does not pass is removed, so nothing half-made is left."""
    if out.exists():
        raise UsageError(f"{out} exists; dlkit init does not overwrite it: remove it or give -o ANOTHER.yaml")
    if not out.parent.is_dir():
        raise UsageError(f"-o {out}: no folder {out.parent}")
    draft = sniff(data)
    draft.choose_task(task)
    from dlkit.config import load_config
    from dlkit.config.data_check import check_data

    with open(out, "x", encoding="utf-8") as f:  # "x": a file made meanwhile is not overwritten either
        f.write(render(draft, command))
    try:
        check_data(load_config(out), out)
    except DlkitError:
        out.unlink()
        raise
    return draft
