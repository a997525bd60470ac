"""``python -m omc.demo`` (what `make demo` runs): omc's main job, offline, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from omc.demo import PRICE_FILE

NAME = "demo-btc"


def _omc(*args: str, capture: bool = False) -> str:
    executable = Path(sys.executable).with_name("omc")
    command = (
        [str(executable), *args]
        if executable.exists()
        else [sys.executable, "-m", "omc.cli.main", *args]
    )
    print(f"\n$ omc {' '.join(args)}", flush=True)
    completed = subprocess.run(command, check=False, capture_output=capture, text=True)
    if completed.returncode != 0:
        if capture:
            sys.stderr.write(completed.stderr)
        raise SystemExit(completed.returncode)
    return completed.stdout if capture else ""


def main() -> None:
    started = time.monotonic()
    home = os.environ.get("OMC_HOME", "")
    print(f"omc demo in a fresh OMC_HOME ({home}), offline, on {PRICE_FILE.name}")
    _omc("data", "import", str(PRICE_FILE), "--coin", "BTC", "--quote", "USDT")
    made = json.loads(
        _omc(
            "lab",
            "recipe",
            "--coin",
            "BTC",
            "--quote",
            "USDT",
            "--horizon",
            "24h",
            "--trials",
            "8",
            "--folds",
            "4",
            "--name",
            NAME,
            "--json",
            capture=True,
        )
    )
    evaluation = made["evaluation"]
    print(
        f"stored {made['algorithm']}: {evaluation['config']['trials']} trials, out of sample "
        f"{evaluation['out_of_sample']['total_return']:+.2%} against buy and hold "
        f"{evaluation['buy_and_hold']['total_return']:+.2%}"
    )
    _omc("algo", "report", NAME)
    out_of_sample_from = evaluation["folds"][0]["test_from"][:10]
    _omc("backtest", "run", f"algo:{NAME}", "--coin", "BTC", "--quote", "USDT",
         "--since", out_of_sample_from)  # fmt: skip
    seconds = time.monotonic() - started
    print(
        f"\nMade {made['algorithm']} (draft) from {PRICE_FILE.name} in {seconds:.0f} s; "
        f"report: {made['report']}, plot: {made['plot']}"
    )


if __name__ == "__main__":
    main()
