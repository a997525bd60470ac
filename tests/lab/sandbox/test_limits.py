"""The process layer's limits: CPU, memory, wall clock and output each stop the code and say
which limit it was and its value."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from omc.lab.sandbox import (
    CpuLimitExceeded,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    SandboxLimits,
    WallTimeExceeded,
    run_code,
)

SPIN = "x = 0\nwhile True:\n    x = x + 1\n"

SPIN_CATCHING_EVERYTHING = """
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""


def test_cpu_limit_stops_a_busy_loop(sandbox, bars):
    with pytest.raises(CpuLimitExceeded) as caught:
        sandbox.run(SPIN, bars, limits=SandboxLimits(cpu_seconds=1, wall_seconds=30))
    assert caught.value.value == 1
    assert "CPU limit of 1 s" in caught.value.message


def test_wall_clock_limit_stops_a_loop_that_catches_every_exception(sandbox, bars):
    started = time.monotonic()
    with pytest.raises(WallTimeExceeded) as caught:
        sandbox.run(
            SPIN_CATCHING_EVERYTHING, bars, limits=SandboxLimits(cpu_seconds=60, wall_seconds=1)
        )
    assert "wall-clock limit of 1 s" in caught.value.message
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    "code",
    [
        "result = 'x' * (2 ** 33)",
        "import numpy as np\nresult = np.ones(2 ** 31)",
        "result = [0] * (10 ** 10)",
        "blocks = []\nwhile True:\n    blocks.append(' ' * 10_000_000 + str(len(blocks)))",
    ],
)
def test_memory_limit_stops_allocation_bombs(code, sandbox, bars):
    limits = SandboxLimits(memory_bytes=256 * 1024 * 1024)
    with pytest.raises(MemoryLimitExceeded) as caught:
        sandbox.run(code, bars, limits=limits)
    assert "256 MiB" in caught.value.message


def test_the_memory_limit_leaves_room_for_real_work(sandbox, bars):
    limits = SandboxLimits(memory_bytes=512 * 1024 * 1024)
    outcome = sandbox.run(
        "import numpy as np\nresult = float(np.ones(30_000_000).sum())", bars, limits=limits
    )
    assert outcome.result == 30_000_000.0


def test_output_limit_refuses_a_huge_result(sandbox, bars):
    limits = SandboxLimits(output_bytes=1024 * 1024)
    with pytest.raises(OutputLimitExceeded) as caught:
        sandbox.run("import numpy as np\nresult = np.zeros(1_000_000)", bars, limits=limits)
    assert "1 MiB" in caught.value.message
    assert sandbox.run("result = 'ok'", bars, limits=limits).result == "ok"


def test_default_output_limit_is_64_mib():
    assert SandboxLimits().output_bytes == 64 * 1024 * 1024
    assert SandboxLimits().memory_bytes == 1024 * 1024 * 1024
    assert SandboxLimits().cpu_seconds == 30
    assert SandboxLimits().wall_seconds == 60


def test_limits_come_from_the_lab_settings(monkeypatch):
    from omc.lab.sandbox.runner import configured_limits

    monkeypatch.setenv("OMC_LAB__SANDBOX_CPU_SECONDS", "7")
    monkeypatch.setenv("OMC_LAB__SANDBOX_MEMORY_MIB", "512")
    monkeypatch.setenv("OMC_LAB__SANDBOX_WALL_SECONDS", "9.5")
    limits = configured_limits()
    assert (limits.cpu_seconds, limits.memory_bytes, limits.wall_seconds) == (7, 512 << 20, 9.5)


def test_a_run_after_a_killed_one_works(sandbox, bars):
    with pytest.raises(WallTimeExceeded):
        sandbox.run(SPIN, bars, limits=SandboxLimits(wall_seconds=0.5))
    assert run_code("result = float(df['close'].iloc[0])", bars) == float(
        np.float64(bars["close"].iloc[0])
    )


def test_nothing_of_the_child_outlives_the_call(sandbox, bars):
    outcome = sandbox.run("result = 1", bars)
    pid = outcome.applied["pid"]
    assert pid != os.getpid()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"the sandboxed process {pid} still exists after the call")
