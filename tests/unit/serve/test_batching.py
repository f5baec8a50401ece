"""The batcher alone: requests on their way gathered into one call, max_batch, no wait for a lone
request, errors to their caller."""

import asyncio
import time

import numpy as np
import pytest

from dlkit.serve.batching import Batcher


def _batcher(max_batch=32, timeout=0.05):
    calls = []

    def call(examples):
        calls.append(len(examples))
        if (examples < 0).any():
            raise ValueError("negative")
        return examples * 10

    return calls, lambda: Batcher(call, max_batch, timeout)


def test_requests_on_their_way_are_gathered_into_one_call():
    calls, make = _batcher(timeout=0.5)

    async def main():
        batcher = make()
        batcher.start()

        async def request(i):
            with batcher.arriving():
                await asyncio.sleep(0.002 * i)  # reading and decoding the body
                future = batcher.submit(np.array([i]), 1)
            return await future

        results = await asyncio.gather(*(request(i) for i in range(6)))
        await batcher.close()
        return results

    assert [int(r[0]) for r in asyncio.run(main())] == [0, 10, 20, 30, 40, 50]
    assert calls == [6]


def test_max_batch_splits_a_large_request_and_caps_batches():
    calls, make = _batcher(max_batch=4)

    async def main():
        batcher = make()
        batcher.start()
        big = batcher.submit(np.arange(10), 10)
        small = [batcher.submit(np.array([100 + i]), 1) for i in range(5)]
        results = await big, await asyncio.gather(*small)
        await batcher.close()
        return results

    big, small = asyncio.run(main())
    assert big.tolist() == list(range(0, 100, 10)) and [int(s[0]) for s in small] == [1000, 1010, 1020, 1030, 1040]
    assert (
        max(calls) <= 4 and sum(calls) == 15 and calls == [4, 4, 4, 3]
    )  # 4 + 4 + 2 of the large one, then the small ones


def test_a_lone_request_does_not_wait_for_the_timeout_and_errors_reach_their_caller():
    calls, make = _batcher(timeout=2.0)

    async def main():
        batcher = make()
        batcher.start()
        started = time.perf_counter()
        assert (await batcher.predict(np.array([1, 2]), 2)).tolist() == [10, 20]
        elapsed = time.perf_counter() - started
        with pytest.raises(ValueError, match="negative"):
            await batcher.predict(np.array([-1]), 1)
        after = await batcher.predict(np.array([3]), 1)
        await batcher.close()
        return elapsed, after

    elapsed, after = asyncio.run(main())
    assert elapsed < 0.5 and after.tolist() == [30] and calls == [2, 1, 1]
