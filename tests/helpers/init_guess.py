"""Tables shaped like R's diamonds, Palmer penguins and Fair's affairs, and running `dlkit init`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _penguins(folder: Path, n: int = 150) -> Path:
    """Palmer penguins: `species` first, `year` (2007-2009) last, a few blank cells."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        s = i % 3
        species, island = ["Adelie", "Chinstrap", "Gentoo"][s], ["Torgersen", "Dream", "Biscoe"][rng.integers(3)]
        bill = "" if i == 3 else f"{[38.8, 48.8, 47.5][s] + rng.normal(0, 2):.1f}"
        depth, flipper = [18.3, 18.4, 15.0][s] + rng.normal(0, 1), int([190, 196, 217][s] + rng.normal(0, 6))
        mass = int([3700, 3733, 5076][s] + rng.normal(0, 300))
        sex = "" if i % 37 == 5 else rng.choice(["male", "female"])
        rows.append(f"{species},{island},{bill},{depth:.1f},{flipper},{mass},{sex},{2007 + i * 3 // n}")
    header = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"
    return _write(folder / "penguins.csv", header, rows)


def _fair(folder: Path, n: int = 200) -> Path:
    """Fair's affairs with the user's own `had_affair` (affairs > 0) put first: the last column
    stays `affairs`, from which the derived target is made."""
    rng = np.random.default_rng(2)
    rows = []
    for _ in range(n):
        affairs = rng.exponential(1.0) if rng.random() < 0.3 else 0.0
        rating, age, religious = rng.integers(1, 6), rng.integers(17, 43), rng.integers(1, 5)
        rows.append(f"{int(affairs > 0)},{rating},{age},{religious},{affairs:.4f}")
    return _write(folder / "fair.csv", "had_affair,rate_marriage,age,religious,affairs", rows)


def _init(cli, data: Path, *args: str):
    out = data.parent / f"{data.stem}.yaml"
    result = cli("init", data, "-o", out, *args)
    return result, out, (yaml.safe_load(out.read_text()) if out.exists() else None)
