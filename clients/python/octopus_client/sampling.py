"""Sampling a sensor on an interval into a Crab: what octopus-py-crab and the Octopus adapter
share. The cadence follows the loop's monotonic clock and never bursts to catch up after a
slow sample; a sampler that raises is logged and skipped, never fatal. `sample` may block
(reading sensors): with in_thread=True it runs in a worker thread, off the event loop.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

from .crab import Crab, split_snapshot
from .errors import BadSnapshot, OctopusError, QueueFull

log = logging.getLogger("octopus_client.sampling")


async def call_sampler(sample: Callable[[], Any], in_thread: bool) -> Any:
    if in_thread:
        result = await asyncio.to_thread(sample)
    else:
        result = sample()
    if inspect.isawaitable(result):
        result = await result
    return result


async def sample_forever(crab: Crab, sample: Callable[[], Any], interval: float,
                         in_thread: bool = False) -> None:
    """Pushes one snapshot of sample() every `interval` seconds until cancelled."""
    loop = asyncio.get_running_loop()
    due = loop.time() + interval
    while True:
        await asyncio.sleep(max(due - loop.time(), 0))
        due = max(due + interval, loop.time())
        try:
            result = await call_sampler(sample, in_thread)
            if result is None:
                continue
            values, timestamp, tags = split_snapshot(result)
            crab.push_nowait(values, timestamp, tags)
        except (BadSnapshot, QueueFull) as e:
            log.warning("%s: sample not queued: %s", crab.label, e)
        except OctopusError:
            return  # the crab was closed or gave up (its error says why)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: the sampler raised", crab.label)


def collect_answer(sample: Callable[[], Any], in_thread: bool):
    """An on_collect callback that answers every collect with a fresh sample()."""
    async def on_collect(request_id: str) -> Any:
        return await call_sampler(sample, in_thread)
    return on_collect
