"""Lab fixtures: a scripted loopback LLM, the CLI's environment pointed at it and a database."""

from __future__ import annotations

import pytest

from tests.lab.sessions.scripted_llm import ScriptedLLM

OPENAI_KEY = "sk-LAB-CANARY-3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e"


@pytest.fixture
def scripted():
    with ScriptedLLM() as server:
        yield server


@pytest.fixture
def lab_env(engine, scripted, monkeypatch) -> dict[str, str]:
    """The system default model is OpenAI at the scripted server; the database is ``engine``."""
    env = {
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_LLM__SYSTEM_DEFAULT_PROVIDER": "openai",
        "OMC_LLM__SYSTEM_DEFAULT_MODEL": "gpt-4o-mini",
        "OMC_LLM__SYSTEM_DEFAULT_BASE_URL": scripted.openai_url,
        "OMC_LLM__MAX_RETRIES": "0",
        "OMC_LLM__REQUEST_TIMEOUT_SECONDS": "5",
        "OPENAI_API_KEY": OPENAI_KEY,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture
def runtime(lab_env):
    from omc.runtime import open_runtime

    runtime = open_runtime()
    yield runtime
    runtime.close()
