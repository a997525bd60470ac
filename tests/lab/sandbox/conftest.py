"""Fixtures of the sandbox tests: bars like the ledger's, the process's sandbox, forked helpers."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def make_bars(rows: int = 2_000, seed: int = 7) -> pd.DataFrame:
    """5-minute OHLCV bars with a UTC index, the shape `omc lab exec` passes as `df`."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, rows)))
    index = pd.date_range("2024-01-01", periods=rows, freq="5min", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": close * (1 + rng.normal(0.0, 0.0005, rows)),
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.uniform(1.0, 10.0, rows),
        },
        index=index,
    )


@pytest.fixture
def bars() -> pd.DataFrame:
    return make_bars()


@pytest.fixture(scope="session")
def sandbox() -> Any:
    from omc.lab.sandbox.runner import default_sandbox

    return default_sandbox()


REPLY_FD = -1  # in a forked child: the descriptor its reply goes to (keep it open)


def run_forked(function: Callable[[], Any], timeout: float = 60.0) -> dict[str, Any]:
    """Run trusted ``function`` in a forked child; its JSON-able return value, or its error."""
    global REPLY_FD
    import select
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        REPLY_FD = write_end
        try:
            reply = {"ok": True, "value": function()}
        except BaseException as error:
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}",
                     "traceback": traceback.format_exc()}  # fmt: skip
        try:
            os.write(write_end, json.dumps(reply, default=str).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([read_end], [], [], remaining)
            if not ready:
                break
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_end)
        if not data:
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert data, "the forked helper gave no reply"
    return json.loads(data)


def require_layer(available: bool, note: str) -> None:
    """Skip a kernel-layer test where the host lacks the layer; under CI=true, fail instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"kernel layer not available under CI=true: {note}", pytrace=False)
    pytest.skip(note)
