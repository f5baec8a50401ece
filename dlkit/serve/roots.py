"""The folders `dlkit serve` may load runs from, fixed when it starts: the runs folder of each run it
serves (`--runs-dir` for the default run; a run folder not named as `dlkit train` names them counts
alone). A reload may name only a run under them, and answers name runs relative to them, never by
an absolute path."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from dlkit.serve.bodies import BadRequest

#: One answer for every run outside the roots, so it says nothing of whether the path exists.
OUTSIDE = "the run is not under the runs folders this server was started with; it reloads only runs there"
_RUN_NAME = re.compile(r".+-\d{8}-\d{6}(-\d+)?")


class Roots:
    def __init__(self, folders: list[Path], runs: list[Path]):
        #: Runs folders: the runs under them are named relative to them.
        self.folders = sorted({Path(f).resolve() for f in folders})
        #: Run folders that count alone, named by their folder's name.
        self.runs = sorted({Path(r).resolve() for r in runs} - set(self.folders))

    @classmethod
    def of(cls, runs) -> Roots:
        """The roots of the runs a server starts with: (run folder, `store.Source`) pairs."""
        folders, alone = [], []
        for run_dir, source in runs:
            run = Path(run_dir).resolve()
            if source.kind == "newest":
                folders.append(source.path)
            elif source.kind == "latest":
                folders.append(Path(source.path).parent)
            if source.kind != "path" or _RUN_NAME.fullmatch(run.name):
                folders.append(run.parent)
            else:
                alone.append(run)
        return cls(folders, alone)

    def holds(self, path: Path) -> bool:
        """Whether the resolved `path` is a root or under one."""
        return any(path == root or root in path.parents for root in (*self.folders, *self.runs))

    def name(self, path: Path) -> str:
        """How answers name the run at `path`: relative to its runs folder."""
        path = Path(path)
        for folder in self.folders:
            if folder in path.parents:
                return path.relative_to(folder).as_posix()
        for run in self.runs:
            if path == run or run in path.parents:
                return (Path(run.name) / path.relative_to(run)).as_posix()
        return path.name

    def scrub(self, text: str) -> str:
        """`text` (an error from loading a run, say) with the roots' absolute paths made relative."""
        shown = [(folder, "", folder.name) for folder in self.folders]
        shown += [(run, f"{run.name}/", run.name) for run in self.runs]
        for root, inside, itself in sorted(shown, key=lambda s: -len(str(s[0]))):
            text = text.replace(f"{root}/", inside).replace(str(root), itself)
        return text

    def find(self, given: str) -> Path:
        """The resolved run folder a reload names: an absolute path, a path relative to the server's
        folder, or a name as answers give it; 403 with one message when it is not under the roots."""
        path = Path(given)
        candidates = [path] if path.is_absolute() else [Path.cwd() / path, *(f / path for f in self.folders)]
        candidates += [run.joinpath(*path.parts[1:]) for run in self.runs if path.parts[:1] == (run.name,)]
        inside = []
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
            except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
                continue
            if self.holds(resolved):
                inside.append(resolved)
        if not inside:
            raise BadRequest(OUTSIDE, 403)
        return next((p for p in inside if p.is_dir()), inside[0])


def loopback(name: str) -> bool:
    """Whether a host name or address is this machine's loopback (`localhost`, 127.0.0.0/8, ::1)."""
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
