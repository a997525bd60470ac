"""The lab's orchestration cost, against the scripted loopback LLM (no model latency to speak of).

Prints, for whole sessions on real BTC hourly history:

- orchestration overhead per graph step: the session's wall time minus the time spent waiting
  for the model (HTTP round trips as the client saw them) and in omc's own work inside the
  stages (data tool reads, sandbox runs, walk-forward fits, storing the algorithm and report),
  divided by the graph steps. It covers LangGraph, the checkpointer, events, call records,
  budget and usage rows, building the model. The first session of a process also pays for
  imports; the figure is the median over sessions. Target: under 50 ms.
- the time to resume a session of 30+ steps that waits at its last gate: from ``resume`` to the
  first new event (checkpoint read, graph rebuilt, model rebuilt), and to its end.

    python benchmarks/bench_lab.py [--database-url postgresql+psycopg://…] [--sessions 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lab.sessions.scripted_llm import ScriptedLLM, Turn  # noqa: E402
from tests.lab.sessions.scripts import (  # noqa: E402
    ACCEPT,
    FEATURES,
    GOAL,
    PLAN,
    TRAINING,
    full_session,
    retrieval_turns,
)

HISTORY = "binance_BTCUSDT_1h_2021-04_2023-12.csv.gz"


def _shared() -> Path:
    return Path(os.environ.get("OMC_SHARED_DIR", ROOT.parent / "shared"))


def _timed(module, name: str, totals: dict[str, float]) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals["research"] += time.perf_counter() - started

    setattr(module, name, wrapper)


def _model_seconds(engine, session_id) -> float:
    import sqlalchemy as sa

    from omc.lab.records import AgentLLMCall

    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(AgentLLMCall.latency_ms), 0)).where(
                AgentLLMCall.session_id == session_id
            )
        ).scalar()
    return float(total) / 1000


def _long_script(rounds: int) -> list[Turn]:
    turns = [Turn.json(PLAN), *retrieval_turns()]
    for number in range(rounds):
        turns += [Turn.json({**FEATURES, "name": f"features_{number}"}), Turn.json(TRAINING)]
        if number < rounds - 1:
            turns.append(
                Turn.json({"decision": "another_round", "reason": "try more", "next_idea": "x"})
            )
    turns.append(Turn.json(ACCEPT))
    return turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6, help="analyst rounds of the long session")
    options = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="omc-bench-lab-"))
    os.environ["OMC_HOME"] = str(home)
    os.environ["OMC_USER"] = "bench"
    url = options.database_url or f"sqlite:///{home / 'omc.sqlite3'}"
    os.environ["OMC_DATABASE_URL"] = url

    from omc import schema
    from omc.db import make_engine
    from omc.lab import research
    from omc.lab.context import LabLimits
    from omc.lab.run import RunRequest, approve_all, resume_session, start_session
    from omc.ledgers.history.importer import import_file
    from omc.runtime import open_runtime

    engine = make_engine(url)
    schema.upgrade(engine)
    import_file(engine, _shared() / "data" / HISTORY, coin="BTC", quote="USDT")
    totals = {"research": 0.0}
    from omc.lab.agents import retrieval

    # omc's own work inside the stages, not orchestration: data reads, sandbox runs, fitting.
    for name in (
        "feature_inputs",
        "run_features",
        "summarise_features",
        "train_candidates",
        "store_candidate",
        "store_report",
    ):
        _timed(research, name, totals)
    for name in ("call_tool", "_coverage"):
        _timed(retrieval, name, totals)

    with ScriptedLLM() as llm:
        os.environ.update(
            {
                "OMC_LLM__SYSTEM_DEFAULT_PROVIDER": "openai",
                "OMC_LLM__SYSTEM_DEFAULT_MODEL": "gpt-4o-mini",
                "OMC_LLM__SYSTEM_DEFAULT_BASE_URL": llm.openai_url,
                "OMC_LLM__MAX_RETRIES": "0",
                "OPENAI_API_KEY": "sk-bench",
            }
        )
        runtime = open_runtime()
        as_of = __import__("datetime").datetime(2023, 12, 31, tzinfo=__import__("datetime").UTC)
        overheads, walls = [], []
        for _ in range(options.sessions):
            llm.add(*full_session())
            totals["research"] = 0.0
            started = time.perf_counter()
            result = start_session(runtime, RunRequest(GOAL, as_of=as_of), approver=approve_all)
            wall = time.perf_counter() - started
            assert result.status == "completed", result
            steps = _steps(runtime, result.session_id)
            model = _model_seconds(engine, result.session_id)
            overheads.append((wall - model - totals["research"]) / steps)
            walls.append(wall)
        print("per-step overhead by session (ms):", [round(o * 1000) for o in overheads])
        print(
            f"whole session ({steps} steps): wall p50 {statistics.median(walls):.2f} s; "
            f"orchestration overhead per step p50 {statistics.median(overheads) * 1000:.1f} ms, "
            f"max {max(overheads) * 1000:.1f} ms (target < 50 ms)"
        )

        llm.add(*_long_script(options.rounds))
        limits = LabLimits(max_steps=60, rounds=options.rounds + 1)
        gates = iter(["plan"] + ["training"] * (options.rounds - 1))

        def all_but_last(question):
            return {"action": "approve"} if next(gates, None) else None

        waiting = start_session(
            runtime,
            RunRequest(GOAL, as_of=as_of, limits=limits, max_calls=200),
            approver=all_but_last,
        )
        assert waiting.status == "waiting", waiting
        steps = _steps(runtime, waiting.session_id)
        first_event: list[float] = []
        started = time.perf_counter()
        resumed = resume_session(
            runtime,
            waiting.session_id,
            approver=approve_all,
            sink=lambda event: first_event.append(time.perf_counter()) if not first_event else 0,
            limits=limits,
        )
        ended = time.perf_counter() - started
        assert resumed.status == "completed", resumed
        print(
            f"resume of a session waiting after {steps} steps: first new event after "
            f"{(first_event[0] - started) * 1000:.0f} ms; rest of the session (one training "
            f"round and the report) {ended:.2f} s"
        )
        runtime.close()
    engine.dispose()


def _steps(runtime, session_id) -> int:
    from omc.lab.checkpoints import open_checkpointer

    with open_checkpointer(runtime.engine()) as saver:
        config = {"configurable": {"thread_id": str(session_id)}}
        latest = saver.get_tuple(config)
        return int(latest.checkpoint["channel_values"]["counters"]["steps"])


if __name__ == "__main__":
    main()
