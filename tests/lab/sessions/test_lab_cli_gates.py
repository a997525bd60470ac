"""``omc lab`` from the command line: waiting without a terminal, JSON events, list/show/cancel,
and a session through the real Gemini client."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.lab.sessions.scripted_llm import Turn
from tests.lab.sessions.scripts import GOAL, PLAN


def test_without_a_terminal_or_yes_run_stops_at_the_plan_gate_with_the_resume_command(
    lab_env, scripted, cli
):
    scripted.add(Turn.json(PLAN))
    result = cli("lab", "run", GOAL)
    assert result.exit_code == 75, result.stdout + result.stderr
    assert "waiting" in result.stdout
    assert "omc lab resume" in result.stderr
    session_id = result.stdout.split("Session ", 1)[1].split(":", 1)[0]

    listed = cli("lab", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["status"], r["goal"]) for r in rows] == [(session_id, "waiting", GOAL)]
    assert (rows[0]["provider"], rows[0]["model"]) == ("openai", "gpt-4o-mini")

    shown = json.loads(cli("lab", "show", session_id[:8], "--json").stdout)
    assert shown["totals"]["llm_calls"] == 1
    assert [e["seq"] for e in shown["events"]] == list(range(1, len(shown["events"]) + 1))
    assert {"stage", "llm_call", "plan", "waiting"} <= {e["kind"] for e in shown["events"]}

    cancelled = cli("lab", "cancel", session_id[:8])
    assert cancelled.exit_code == 0
    assert "cancelled (was waiting)" in cancelled.stdout
    again = cli("lab", "resume", session_id)
    assert again.exit_code == 64
    assert "has ended (cancelled)" in again.stderr


def test_json_streams_one_event_per_line_and_ends_with_the_result(lab_env, scripted, cli):
    scripted.add(Turn.json({"about_trading": False, "refusal": "I research trading only."}))
    result = cli("lab", "run", "what is the capital of France?", "--json")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["kind"] == "result"
    assert lines[-1]["status"] == "refused"
    kinds = [line["kind"] for line in lines[:-1]]
    assert kinds[:3] == ["stage", "llm_call", "refused"]
    assert [line["seq"] for line in lines[:-1]] == list(range(1, len(lines)))


def test_unknown_session_and_bad_options_are_one_line_errors(lab_env, cli):
    missing = cli("lab", "show", "deadbeef")
    assert missing.exit_code == 66
    assert "no lab session deadbeef" in missing.stderr
    bad = cli("lab", "run", GOAL, "--budget-usd", "lots")
    assert bad.exit_code == 64
    assert "invalid --budget-usd" in bad.stderr
    as_of = cli("lab", "run", GOAL, "--as-of", "yesterday")
    assert as_of.exit_code == 64
    assert "invalid --as-of" in as_of.stderr


def test_a_session_through_the_real_gemini_client(engine, scripted, cli, monkeypatch):
    env = {
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_LLM__SYSTEM_DEFAULT_PROVIDER": "google",
        "OMC_LLM__SYSTEM_DEFAULT_MODEL": "gemini-2.5-flash",
        "OMC_LLM__SYSTEM_DEFAULT_BASE_URL": scripted.gemini_url,
        "OMC_LLM__MAX_RETRIES": "0",
        "GOOGLE_API_KEY": "AIzaSyLAB-CANARY-0b1c2d3e4f5a6b7c8d9e",
    }
    scripted.add(Turn.json(PLAN))
    result = cli("lab", "run", GOAL, "--coin", "BTC", env=env)
    assert result.exit_code == 75, result.stdout + result.stderr
    assert ":generateContent" in scripted.paths[0]
    body = scripted.requests[0]
    assert GOAL in json.dumps(body["contents"])
    config = body.get("generationConfig", {})
    assert config.get("responseMimeType") == "application/json"
    shown = json.loads(cli("lab", "list", "--json").stdout)[0]
    assert (shown["provider"], shown["model"], shown["status"]) == (
        "google",
        "gemini-2.5-flash",
        "waiting",
    )


def test_in_a_terminal_the_plan_gate_is_a_prompt(lab_env, scripted, engine):
    """Run under a pseudo-terminal: the gate asks, and answering 'c' cancels the session."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    scripted.add(Turn.json(PLAN))
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "omc", "lab", "run", GOAL],
        env={**os.environ, **lab_env, "COLUMNS": "100"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"approve, edit or cancel?" not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                seen += os.read(controller, 4096)
        os.write(controller, b"c\n")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    assert b'"coins"' in seen  # the plan was shown before the question
    with engine.connect() as connection:
        status = connection.execute(sa.text("SELECT status FROM agent_sessions")).scalar()
    assert status == "cancelled"
