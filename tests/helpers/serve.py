"""The runs `dlkit serve` is tested on (trained once per session by conftest's `serve_runs`), a free
port, waiting for a server, and requests of digits."""

import shutil
import socket
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY, write_config
from dlkit.cli import app
from dlkit.core.runs import point_latest
from helpers.predict_tables import ratings, ratings_config
from helpers.text import reviews, text_config


def _train(folder: Path, config: dict, runs: Path) -> Path:
    path = write_config(folder, config, f"{config['name']}-{config['seed']}.yaml")
    result = CliRunner().invoke(app, ["train", str(path), "--runs-dir", str(runs), "-q"])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]).resolve()


def train_serve_runs(folder: Path) -> dict:
    """Three tiny digit runs of one name (different seeds) with `latest` on the first, a broken copy
    of one (in its runs folder, which a reload may load from), a ratings run (integer ids, a blank
    id cell) and a text run. conftest's session fixture `serve_runs` trains them once."""
    images, one_epoch = folder / "images", {**TINY["train"], "epochs": 1}
    tiny = [_train(folder, {**TINY, "seed": seed, "train": one_epoch}, images) for seed in (1, 2, 3)]
    point_latest(tiny[0])
    broken = images / "broken" / tiny[0].name
    shutil.copytree(tiny[0], broken)
    (broken / "model.keras").write_bytes(b"not a zip file")
    everything = ratings(1240)
    frame = everything.iloc[:1200].astype({"user_id": object})
    frame.loc[10, "user_id"] = None
    frame.to_csv(folder / "ratings.csv", index=False)
    config = ratings_config(folder / "ratings.csv")
    config["train"]["epochs"] = 3
    table = _train(folder, config, folder / "tables")
    texts, labels = reviews(120)
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        (folder / "reviews" / label).mkdir(parents=True, exist_ok=True)
        (folder / "reviews" / label / f"{i}.txt").write_text(text)
    text = _train(folder, text_config("text_folder", {"path": str(folder / "reviews")}), folder / "texts")
    return {"folder": folder, "tiny": tiny, "latest": images / "latest", "broken": broken, "table": table, "text": text}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(client, process, seconds: float = 90, log: Path | None = None) -> None:
    """Until `dlkit serve` (`process`) answers /healthz; its failing or not answering in time fails
    the test, with its stderr (read from `log` when it goes to that file)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    said = log.read_text() if log else process.stderr.read().decode()
    pytest.fail(f"dlkit serve did not start: {said[-2000:]}")


def _digits(n: int) -> np.ndarray:
    from sklearn.datasets import load_digits

    images = load_digits().images[-n:]
    return np.round(images * (255.0 / 16.0)).astype("uint8")


def _serving(client, name: str) -> str:
    """The run serving `name`, as the server names it: relative to its runs folder."""
    return client.get(f"/v1/models/{name}/metadata").json()["metadata"]["run"]
