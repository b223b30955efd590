"""The kernels of a run end quietly: no ``SIGINT`` before the shutdown request of an idle kernel
(gvisage_lib.run.interrupt.TrackedKernelManager), while an explicit interrupt still reaches the kernel."""

from __future__ import annotations

import asyncio
import signal

import pytest

from gvisage_lib.run.interrupt import TrackedKernelManager
from gvisage_lib.run.pipeline import KERNEL_ARGUMENTS, kernel_config


class _Recording(TrackedKernelManager):
    """The run's kernel manager, recording the signals it sends to the kernel."""

    async def _async_signal_kernel(self, signum: int) -> None:  # type: ignore[override]
        self.sent.append(int(signum))
        await super()._async_signal_kernel(signum)


async def _kernel_session() -> tuple[list[int], list[int], str, bool]:
    """Start a kernel as a run does, run a cell, interrupt it explicitly, shut it down: what was sent and printed."""
    km = _Recording(kernel_name="python3", config=kernel_config())
    km.sent = []
    await km.start_kernel(extra_arguments=list(KERNEL_ARGUMENTS))
    client = km.client()
    client.start_channels()
    out: list[str] = []
    try:
        await client.wait_for_ready(timeout=120)
        # the start-up line of KERNEL_ARGUMENTS ran: the filter of ipykernel's exit report is on asyncio's logger
        check = "import logging; print(sorted({type(f).__name__ for f in logging.getLogger('asyncio').filters}))"
        reply = await client.execute_interactive(check, timeout=60,
                                                 output_hook=lambda m: out.append(m["content"].get("text", "")))
        assert reply["content"]["status"] == "ok"
        await km.interrupt_kernel()
        interrupted = list(km.sent)
    finally:
        client.stop_channels()
        await km.shutdown_kernel()
    return interrupted, km.sent, "".join(out), await km.is_alive()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_the_kernel_is_interrupted_on_request_and_shut_down_without_an_interrupt() -> None:
    interrupted, sent, printed, alive = asyncio.run(_kernel_session())
    assert interrupted == [signal.SIGINT]  # an explicit interrupt (papermill's cell timeout) still reaches the kernel
    assert sent == [signal.SIGINT] and not alive  # the shutdown sent none of its own
    assert "_PendingControlTask" in printed
