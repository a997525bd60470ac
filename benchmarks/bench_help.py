"""Benchmark: `omc --help` against a bare Typer app's `--help`, each in a fresh interpreter.

Not a test: it prints wall-clock figures (median and p95 over N runs) for the note on the issue.
Run with `make bench` or `python benchmarks/bench_help.py [RUNS]`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

BARE_TYPER = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def hello(name: str = "world") -> None:
    print(name)
app()
"""

CASES = {
    "python -c pass (interpreter start)": [sys.executable, "-c", "pass"],
    "bare Typer app --help": [sys.executable, "-c", BARE_TYPER, "--help"],
    "omc --help": [sys.executable, "-m", "omc", "--help"],
    "omc db --help": [sys.executable, "-m", "omc", "db", "--help"],
}


def measure(command: list[str], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main(runs: int = 20) -> None:
    results = {}
    for name, command in CASES.items():
        measure(command, 2)  # warm the page cache and .pyc files
        timings = sorted(measure(command, runs))
        results[name] = (statistics.median(timings), timings[int(0.95 * (len(timings) - 1))])
    bare = results["bare Typer app --help"][0]
    print(f"{'case':<38} {'median ms':>10} {'p95 ms':>8} {'x bare Typer':>13}")
    for name, (median, p95) in results.items():
        print(f"{name:<38} {median:>10.1f} {p95:>8.1f} {median / bare:>13.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
