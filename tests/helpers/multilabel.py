"""A multilabel CSV of tags and its config."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO

CONFIG = REPO / "configs" / "multilabel_csv.yaml"


def make_tags_csv(folder: Path) -> Path:
    """The shipped config's data, made by running the snippet its header documents in `folder`."""
    header = CONFIG.read_text().split("\nname:")[0]
    snippet = re.search(r"<<'EOF'\n(.*?)\n#\s+EOF", header, re.S).group(1)
    code = "\n".join(line.removeprefix("#").strip() for line in snippet.splitlines())
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)
    return folder / "data" / "tags.csv"


def _config(**changes) -> dict:
    data = yaml.safe_load(CONFIG.read_text())
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data[section] = {**data[section], name: value} if name else value
    return data
