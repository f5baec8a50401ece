"""The models `dlkit serve` serves: by the run's config `name`, versions 1..n when several runs
share it (the newest is the default). A run promoted later (`:reload`, or `runs/latest` moving) is
loaded beside the serving one and swapped in; the requests already queued finish on the old one,
and a run that fails to load leaves the old one serving."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from dlkit.core.backend import model_function, takes_columns
from dlkit.core.runs import LATEST, completed, newest_finished, now, read_run
from dlkit.serve.batching import Batcher
from dlkit.serve.instances import Decoder
from dlkit.serve.roots import Roots

log = logging.getLogger("dlkit.serve")


@dataclasses.dataclass
class Version:
    """One run loaded and ready: its model called through a compiled function."""

    name: str
    number: int
    run_dir: Path
    info: dict
    config: Any
    task: Any
    model: Any
    call: Any
    decoder: Decoder
    batcher: Batcher | None = None

    def describe(self, outputs: np.ndarray, unseen: list, top_k: int) -> list[dict]:
        """The task's fields of each example (label, probability, top_k; value; ...), with the
        values training never saw, as `dlkit predict --json` gives them."""
        classes = self.info.get("classes") or []
        rows = []
        for output, marks in zip(outputs, unseen, strict=True):
            row = self.task.describe(output, classes, top_k)
            if marks:
                row["unseen"] = marks
            rows.append(row)
        return rows


def load_version(run_dir: Path, number: int = 1) -> Version:
    """Load a run as a served version and warm its compiled function up (slow: seconds)."""
    from dlkit.config import load_run_config
    from dlkit.core.errors import UsageError
    from dlkit.core.registries import INPUTS
    from dlkit.engine.task import task_of
    from dlkit.model.saved import load_run_model

    config = load_run_config(run_dir)  # first: it loads the run's plug-ins, which the model may need
    task = task_of(config)
    task.check_predict(run_dir)
    info = read_run(run_dir)
    kind = info.get("input", {}).get("kind")
    if kind not in INPUTS:
        raise UsageError(f"{run_dir}: serve does not know inputs of kind {kind!r}")
    model = load_run_model(run_dir)
    call = model_function(model)
    call(_zeros(model))
    decoder = Decoder(model, info, config.data.options)
    return Version(config.name, number, Path(run_dir).resolve(), info, config, task, model, call, decoder)


def _zeros(model):
    def zero(t):
        shape = (1, *t.shape[1:])
        return np.full(shape, "", dtype=object) if t.dtype == "string" else np.zeros(shape, t.dtype)

    return {t.name: zero(t) for t in model.inputs} if takes_columns(model) else zero(model.inputs[0])


@dataclasses.dataclass
class Source:
    """What a served name was started from, so a reload can ask again: a run folder (`path`), the
    `runs/latest` link (`latest`) or the newest finished run of that name under a folder (`newest`)."""

    kind: str
    path: Path

    @property
    def watched(self) -> bool:
        return self.kind in ("latest", "newest")

    def resolve(self, name: str) -> Path | None:
        """The run this source names now (a finished run of `name` for the watched ones), or None."""
        if self.kind == "path":
            return self.path
        if self.kind == "latest":
            target = self.path.resolve()
            return target if _run_of(target, name) and completed(target) else None
        return newest_finished(self.path, lambda path: _run_of(path, name))


def _run_of(run_dir: Path, name: str) -> bool:
    """A run folder of the config `name` (runs/<name>-<YYYYmmdd-HHMMSS>[-N])."""
    return re.fullmatch(rf"{re.escape(name)}-\d{{8}}-\d{{6}}(-\d+)?", run_dir.name) is not None


def source_of(run: Path | None, runs_dir: Path) -> Source:
    if run is None:
        return Source("newest", Path(runs_dir))
    if Path(run).name == LATEST and Path(run).is_symlink():
        return Source("latest", Path(run))
    return Source("path", Path(run))


@dataclasses.dataclass
class Served:
    """A served name: its versions, what it was started from, and its reloads."""

    name: str
    source: Source
    versions: dict[int, Version] = dataclasses.field(default_factory=dict)
    #: Versions replaced by a reload: (number, run folder).
    retired: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    #: The last reload: run, outcome (`loaded` or `failed`), error.
    last_reload: dict | None = None
    #: The run the watched source named when last looked at: the watcher acts when that changes
    #: (so a run reloaded by hand stays until `runs/latest` moves again).
    seen: Path | None = None
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)

    @property
    def default(self) -> Version:
        return self.versions[max(self.versions)]

    def status(self) -> dict:
        """TF Serving's model status, and dlkit's account of the last reload."""
        ok = {"error_code": "OK", "error_message": ""}
        states = [{"version": str(n), "state": "AVAILABLE", "status": ok} for n in sorted(self.versions)]
        states += [{"version": str(n), "state": "END", "status": ok} for n, _ in self.retired]
        status = {"model_version_status": sorted(states, key=lambda s: -int(s["version"]))}
        if self.last_reload is not None:
            status["last_reload"] = self.last_reload
        return status


class Store:
    """The served names, their batchers (one per version, sharing one model thread) and reloads."""

    def __init__(self, max_batch: int = 32, timeout: float = 0.002, metrics=None):
        self.max_batch, self.timeout, self.metrics = max_batch, timeout, metrics
        self.models: dict[str, Served] = {}
        #: Where reloads may load runs from, and how answers name runs.
        self.roots = Roots([], [])
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="dlkit-model")
        self._tasks: list[asyncio.Task] = []

    def load(self, runs: list[tuple[Path, Source]]) -> None:
        """Load every run (before serving); runs of one name become its versions by start time."""
        self.roots = Roots.of(runs)
        loaded = [(load_version(run_dir), source) for run_dir, source in runs]
        loaded.sort(key=lambda pair: pair[0].info.get("started") or "")
        for version, source in loaded:
            served = self.models.setdefault(version.name, Served(version.name, source))
            served.source = source  # a reload asks again where the newest version came from
            served.seen = version.run_dir
            version.number = len(served.versions) + 1
            served.versions[version.number] = version

    def find(self, name: str, number: str | None = None) -> Version:
        from dlkit.serve.bodies import BadRequest

        served = self.models.get(name)
        if served is None:
            raise BadRequest(f"no model named {name!r}; this server serves {', '.join(sorted(self.models))}", 404)
        if number is None:
            return served.default
        ok = number.isascii() and number.isdigit() and len(number) < 10  # not "²", not 5,000 digits
        version = served.versions.get(int(number)) if ok else None
        if version is None:
            have = ", ".join(map(str, sorted(served.versions)))
            raise BadRequest(f"model {name!r} has no version {number}; it has {have}", 404)
        return version

    async def start(self, poll: float | None) -> None:
        """Start the batchers, and the watcher of `runs/latest` or the newest run every `poll` seconds."""
        for served in self.models.values():
            for version in served.versions.values():
                self._start(version)
        if poll and any(served.source.watched for served in self.models.values()):
            self._tasks.append(asyncio.get_running_loop().create_task(self._watch(poll)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for served in self.models.values():
            for version in served.versions.values():
                await version.batcher.close()
        self.executor.shutdown(wait=False)

    def _start(self, version: Version) -> None:
        metrics = self.metrics
        on_batch = metrics.batch_size.labels(version.name).observe if metrics else None
        version.batcher = Batcher(version.call, self.max_batch, self.timeout, self.executor, on_batch)
        version.batcher.start()
        if metrics:
            metrics.loaded.labels(version.name, str(version.number), self.roots.name(version.run_dir)).set(1)

    async def reload(self, name: str, run_dir: Path | None = None) -> dict:
        """Load `run_dir` (default: what `name` was started from, asked again) as a new version and
        swap it in for the default one, or leave that one serving and say why."""
        served = self.models[name]
        async with served.lock:
            target = run_dir or await asyncio.to_thread(served.source.resolve, name)
            if target is None:
                return self._failed(served, None, f"no finished run of {name} under {served.source.path}")
            try:
                version = await asyncio.get_running_loop().run_in_executor(None, load_version, Path(target))
            except Exception as e:  # whatever the folder holds, the old model goes on serving
                return self._failed(served, Path(target), _one_line(e))
            old = served.default
            version.name = name
            version.number = max([*served.versions, *(n for n, _ in served.retired)]) + 1
            self._start(version)
            served.versions[version.number] = version  # from here requests go to the new version
            del served.versions[old.number]
            served.retired.append((old.number, str(old.run_dir)))
            run = self.roots.name(version.run_dir)
            reloaded = {"run": run, "outcome": "loaded", "version": version.number, "at": now()}
            served.last_reload = reloaded
            log.info(f"{name}: version {version.number} ({version.run_dir}) serving; version {old.number} retired")
            if self.metrics:
                self.metrics.reloads.labels(name, "loaded").inc()
                self.metrics.loaded.remove(name, str(old.number), self.roots.name(old.run_dir))
        await old.batcher.close()  # the requests queued for the old version are answered by it
        return served.last_reload

    def _failed(self, served: Served, run_dir: Path | None, error: str) -> dict:
        serving = served.default
        log.error(f"{served.name}: reload failed: {error}; version {serving.number} ({serving.run_dir}) still serving")
        run = self.roots.name(run_dir) if run_dir else None
        served.last_reload = {"run": run, "outcome": "failed", "error": self.roots.scrub(error), "at": now()}
        if self.metrics:
            self.metrics.reloads.labels(served.name, "failed").inc()
        return served.last_reload

    async def _watch(self, poll: float) -> None:
        while True:
            await asyncio.sleep(poll)
            for served in list(self.models.values()):
                if not served.source.watched:
                    continue
                try:
                    target = await asyncio.to_thread(served.source.resolve, served.name)
                except OSError:
                    continue
                if target is None or target.resolve() == served.seen:
                    continue
                served.seen = target.resolve()  # tried once, loaded or not; again when it moves
                await self.reload(served.name, target)


def _one_line(error: Exception) -> str:
    from dlkit.core.errors import DlkitError

    text = str(error) if isinstance(error, DlkitError) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."
