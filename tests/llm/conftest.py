"""Loopback servers speaking the providers' HTTP protocols, and helpers for BYOM tests.

Bodies follow the documented wire formats: OpenAI chat completions (``POST /v1/chat/completions``),
Anthropic's Messages API (``POST /v1/messages``) and Gemini's REST ``generateContent``
(``POST /{v1,v1beta,v1alpha}/models/MODEL:generateContent``). The real Gemini service answers
every one of its API versions, and google-genai releases have moved between them (``v1beta``
until 2.x, ``v1`` since), so the loopback server answers them all, as the real one does;
:func:`gemini_layout` says which one the installed SDK used.
"""

from __future__ import annotations

import re

import pytest

# The API versions the Gemini REST service serves (ai.google.dev/gemini-api/docs/api-versions).
GEMINI_API_VERSIONS = ("v1", "v1beta", "v1alpha")
GEMINI_GENERATE = re.compile(
    r"^/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent$"
)

CANARY = "sk-CANARY-7f3e9b2c41d84a6e9c0b5d7a1e2f3c4d"
GEMINI_CANARY = "AIzaSyCANARY-0b1c2d3e4f5a6b7c8d9e440000"


def openai_completion(model: str = "gpt-4o-mini", prompt: int = 12, completion: int = 3) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok"},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def openai_error(status: int, message: str) -> dict:
    kinds = {401: "invalid_request_error", 404: "invalid_request_error", 429: "insufficient_quota"}
    return {"error": {"message": message, "type": kinds.get(status, "server_error"), "code": None}}


def gemini_response(model: str = "gemini-2.5-flash", prompt: int = 8, output: int = 2) -> dict:
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": "ok"}], "role": "model"},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt,
            "candidatesTokenCount": output,
            "totalTokenCount": prompt + output,
        },
        "modelVersion": model,
    }


def gemini_error(status: int, message: str, reason: str) -> dict:
    return {"error": {"code": status, "message": message, "status": reason}}


def expect_gemini(httpserver, body: dict, *, model: str | None = None, status: int = 200) -> None:
    """Answer ``generateContent`` for ``model`` (any model if None) under every API version."""
    if model is None:
        uri = GEMINI_GENERATE
    else:
        versions = "|".join(GEMINI_API_VERSIONS)
        uri = re.compile(rf"^/(?P<version>{versions})/models/{re.escape(model)}:generateContent$")
    httpserver.expect_request(uri, method="POST").respond_with_json(body, status=status)


def gemini_layout(httpserver) -> str:
    """The API version the installed Gemini SDK sent its first ``generateContent`` under."""
    for request, _ in httpserver.log:
        match = GEMINI_GENERATE.match(request.path)
        if match:
            return match["version"]
    raise AssertionError(f"no generateContent request in {[r.path for r, _ in httpserver.log]}")


@pytest.fixture
def openai_url(httpserver) -> str:
    """The base URL of the loopback OpenAI-compatible server."""
    return httpserver.url_for("/v1")


@pytest.fixture
def gemini_url(httpserver) -> str:
    return httpserver.url_for("/")


@pytest.fixture
def db_env(engine, monkeypatch) -> str:
    """Point the CLI at the test's migrated database (SQLite or PostgreSQL); returns its URL."""
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("OMC_DATABASE_URL", url)
    return url


@pytest.fixture(autouse=True)
def no_ambient_keys(monkeypatch):
    for name in ("CREDENTIALS_DIRECTORY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
