"""Dynamic batching: the requests for one served model version gathered into one model call.

A batch closes when it holds `max_batch` instances, or when no other request is known to be on its
way (being read or decoded: `arriving`), or `timeout` seconds after its first request. So a lone
request never waits: at concurrency 1 each goes straight to the model, and under load the requests
that queue while the model runs make the next batch. The model runs in a worker thread, so the
event loop keeps reading requests meanwhile."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.data.examples import concatenate, take


@dataclasses.dataclass
class Pending:
    examples: Any
    count: int
    future: asyncio.Future


class Batcher:
    """Gathers `submit`ted examples into calls of `call(examples) -> outputs` (numpy, one row per
    example), run by `executor`; `on_batch(size)` is told each batch's size."""

    def __init__(
        self,
        call: Callable[[Any], np.ndarray],
        max_batch: int = 32,
        timeout: float = 0.002,
        executor=None,
        on_batch: Callable[[int], None] | None = None,
    ):
        self.call, self.max_batch, self.timeout = call, max_batch, timeout
        self.executor, self.on_batch = executor, on_batch
        self.pending: collections.deque[Pending] = collections.deque()
        self.arriving_now = 0
        self.closed = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    @contextlib.contextmanager
    def arriving(self):
        """Around reading and decoding a request bound for this batcher: a batch waits for it
        (up to the timeout) rather than closing without it."""
        self.arriving_now += 1
        try:
            yield
        finally:
            self.arriving_now -= 1
            self._wake.set()

    def submit(self, examples, count: int) -> asyncio.Future:
        """A future of the outputs for `count` examples. More than `max_batch` are split into
        batches of their own, never refused."""
        loop = asyncio.get_running_loop()
        parts = []
        for start in range(0, count, self.max_batch):
            stop = min(start + self.max_batch, count)
            part = take(examples, slice(start, stop)) if count > self.max_batch else examples
            parts.append(Pending(part, stop - start, loop.create_future()))
        self.pending.extend(parts)
        self._wake.set()
        if len(parts) == 1:
            return parts[0].future
        return asyncio.ensure_future(_joined([p.future for p in parts]))

    async def predict(self, examples, count: int) -> np.ndarray:
        return await self.submit(examples, count)

    async def close(self) -> None:
        """Stop once the requests queued or on their way are answered (a model being replaced)."""
        self.closed = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self.pending:
                if self.closed and not self.arriving_now:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = await self._gather(loop)
            examples = concatenate([p.examples for p in batch])
            try:
                outputs = await loop.run_in_executor(self.executor, self.call, examples)
            except Exception as e:  # the callers answer with it; the batcher goes on
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(e)
                continue
            if self.on_batch is not None:
                self.on_batch(len(outputs))
            start = 0
            for p in batch:
                if not p.future.done():  # a caller that went away has cancelled its future
                    p.future.set_result(outputs[start : start + p.count])
                start += p.count

    async def _gather(self, loop) -> list[Pending]:
        batch, size = [], 0
        deadline = loop.time() + self.timeout
        while True:
            while self.pending and size + self.pending[0].count <= self.max_batch:
                item = self.pending.popleft()
                batch.append(item)
                size += item.count
            full = size >= self.max_batch or (self.pending and batch)
            remaining = deadline - loop.time()
            if full or not self.arriving_now or remaining <= 0:
                return batch
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)


async def _joined(futures: list[asyncio.Future]) -> np.ndarray:
    return np.concatenate(await asyncio.gather(*futures))
