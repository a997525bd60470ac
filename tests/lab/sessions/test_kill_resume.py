"""A session killed with SIGKILL mid-stage continues from its checkpoint: no completed LLM call
is paid for twice and no event is written twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from tests.lab.sessions.scripted_llm import Turn
from tests.lab.sessions.scripts import GOAL, PLAN

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _omc(*args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "omc", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def test_kill_9_mid_stage_then_resume_repeats_no_completed_call(lab_env, scripted, engine):
    hold = threading.Event()
    scripted.add(Turn(content="not json"), Turn.json(PLAN, hold=hold))
    process = _omc("lab", "run", GOAL, "--json", env=lab_env)
    try:
        scripted.wait_for_requests(2)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        hold.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    with engine.connect() as connection:
        session_id, status = connection.execute(
            sa.text("SELECT id, status FROM agent_sessions")
        ).one()
    assert status == "running"  # killed: nobody could record anything else
    listed = subprocess.run(
        [sys.executable, "-m", "omc", "lab", "list", "--json"],
        env={**os.environ, **lab_env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"status": "interrupted"' in listed.stdout  # its process is gone
    scripted.add(Turn.json(PLAN))
    resumed = _omc("lab", "resume", str(session_id).replace("-", "")[:12], "--json", env=lab_env)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 75, err  # waiting at the plan gate
    assert len(scripted.requests) == 3  # the completed first call was not sent again
    with engine.connect() as connection:
        kinds = [
            row[0]
            for row in connection.execute(sa.text("SELECT kind FROM agent_events ORDER BY seq"))
        ]
        usage = connection.execute(sa.text("SELECT count(*) FROM llm_usage")).scalar()
        calls = connection.execute(sa.text("SELECT seq FROM agent_llm_calls ORDER BY seq")).all()
    assert kinds.count("invalid_answer") == 1
    assert kinds.count("stage") == 2  # planner, plan gate: each once
    assert [row[0] for row in calls] == [1, 2]
    assert usage == 2  # the killed request never completed, so was never counted
    assert '"llm_calls_from_record": 1' in out


def test_ctrl_c_pauses_the_session_cleanly_and_resume_continues(lab_env, scripted, engine):
    hold = threading.Event()
    scripted.add(Turn(content="not json"), Turn.json(PLAN, hold=hold))
    process = _omc("lab", "run", GOAL, env=lab_env)
    try:
        scripted.wait_for_requests(2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        hold.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, (out, err)
    assert "paused" in out
    assert "omc lab resume" in err
    assert "Traceback" not in err
    with engine.connect() as connection:
        session_id, status = connection.execute(
            sa.text("SELECT id, status FROM agent_sessions")
        ).one()
    assert status == "paused"
    scripted.add(Turn.json(PLAN))
    resumed = _omc("lab", "resume", str(session_id), env=lab_env)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 75, err
    assert len(scripted.requests) == 3
