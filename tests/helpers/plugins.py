"""The worked examples of docs/extending.md, written as files."""

import re
from pathlib import Path

from conftest import REPO

DOC = REPO / "docs" / "extending.md"


def doc_files(folder: Path) -> dict[str, Path]:
    """Write the doc's code blocks that start with `# file: NAME` into `folder`."""
    written = {}
    for block in re.findall(r"```(?:python|yaml)\n(.*?)```", DOC.read_text(), re.S):
        first, _, rest = block.partition("\n")
        if first.startswith("# file: "):
            path = folder / first.removeprefix("# file: ").strip()
            path.write_text(rest)
            written[path.name] = path
    return written
