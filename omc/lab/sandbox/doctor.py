"""`omc lab doctor` as data: the sandbox's layers, limits, allow-listed modules and a self-test.

The self-test runs for real: legitimate code through ``run_code``, code each layer must stop,
and the fixed probe (:mod:`omc.lab.sandbox.probe`) in a child with every layer in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from omc.lab.sandbox.errors import SandboxError
from omc.lab.sandbox.limits import SandboxLimits
from omc.lab.sandbox.modules import ALLOW_LIST


def _expect_error(sandbox: Any, code: str, kind: type[SandboxError], **limits: Any) -> str:
    try:
        sandbox.run(code, None, limits=SandboxLimits(**{**sandbox.limits.to_dict(), **limits}))
    except kind as error:
        return f"stopped: {error.message}"[:160]
    except SandboxError as error:
        raise AssertionError(f"stopped, but as {type(error).__name__}: {error.message}") from None
    raise AssertionError("not stopped")


def _checks(sandbox: Any) -> list[tuple[str, Callable[[], str]]]:
    from omc.lab.sandbox.errors import (
        CodeRejected,
        ForbiddenOperation,
        MemoryLimitExceeded,
        WallTimeExceeded,
    )

    def analysis() -> str:
        code = (
            "import pandas as pd\nframe = pd.DataFrame({'x': [1.0, 2.0, 3.0, 4.0]})\n"
            "result = float(frame['x'].rolling(2).mean().iloc[-1])"
        )
        value = sandbox.run(code, None).result
        if value != 3.5:
            raise AssertionError(f"gave {value!r}, expected 3.5")
        return "rolling mean computed in the sandbox"

    return [
        ("analysis code runs", analysis),
        ("import os refused", lambda: _expect_error(sandbox, "import os", CodeRejected)),
        (
            "run-time attribute refused",
            lambda: _expect_error(
                sandbox, "import pandas as pd\nf = getattr(pd, 'read_' + 'csv')", ForbiddenOperation
            ),
        ),
        (
            "memory limit",
            lambda: _expect_error(
                sandbox, "x = 'x' * (2 ** 34)", MemoryLimitExceeded, memory_bytes=256 << 20
            ),
        ),
        (
            "wall-clock limit",
            lambda: _expect_error(
                sandbox, "while True:\n    pass", WallTimeExceeded, wall_seconds=0.5
            ),
        ),
    ]


PROBE_EXPECTATIONS = {
    "socket_inet": "network sockets refused",
    "socket_unix": "local sockets refused",
    "write_file": "file writes refused",
    "write_tmp": "writes to /tmp refused",
    "fork": "new processes refused",
    "exec": "new programs refused",
    "kill_parent": "signals to other processes refused",
}


def _probe_checks(probe: dict[str, Any]) -> list[dict[str, Any]]:
    if probe.get("failed"):
        return [{"check": "probe child", "passed": False, "detail": "the probe gave no report"}]
    checks = []
    for key, name in PROBE_EXPECTATIONS.items():
        outcome = str(probe.get(key))
        checks.append({"check": name, "passed": outcome.startswith("refused"), "detail": outcome})
    interfaces = probe.get("interfaces")
    checks.append(
        {
            "check": "no network interfaces",
            "passed": interfaces in (["lo"], []),
            "detail": f"interfaces: {', '.join(interfaces or []) or 'none'}",
        }
    )
    checks.append(
        {
            "check": "empty environment",
            "passed": probe.get("environment") == [],
            "detail": f"{len(probe.get('environment') or [])} variables",
        }
    )
    return checks


def doctor_report(sandbox: Any | None = None) -> dict[str, Any]:
    """Layers (as the fork server found them), limits, allow list and self-test results."""
    from omc.lab.sandbox.layers import detect_layers
    from omc.lab.sandbox.runner import default_sandbox

    sandbox = sandbox or default_sandbox()
    started = time.monotonic()
    server = sandbox.layers()
    layers = [layer.to_dict() for layer in detect_layers()]
    by_name = {layer["name"]: layer for layer in layers}
    by_name["network namespace"].update(
        active=bool(server.get("network_namespace")), note=server.get("network_namespace_note")
    )
    by_name["seccomp"].update(active=bool(server.get("seccomp")), note=server.get("seccomp_note"))
    checks = []
    for name, check in _checks(sandbox):
        try:
            checks.append({"check": name, "passed": True, "detail": check()})
        except (AssertionError, SandboxError) as error:
            checks.append({"check": name, "passed": False, "detail": str(error)[:200]})
    checks.extend(_probe_checks(sandbox.probe()))
    return {
        "layers": layers,
        "limits": sandbox.limits.describe(),
        "modules": list(ALLOW_LIST),
        "self_test": checks,
        "healthy": all(check["passed"] for check in checks),
        "seconds": round(time.monotonic() - started, 2),
    }
