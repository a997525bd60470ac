"""Which wire layout the installed provider SDKs speak, through omc's own model factory.

Each test drives the real LangChain client against a loopback server that answers what the real
service answers, and says which URL layout and SDK version it saw, so an SDK release that moves
to another API version shows up here by name instead of as a 500 somewhere else.
"""

from __future__ import annotations

import json
from importlib.metadata import version

from omc.llm.providers import build_chat_model
from tests.llm.conftest import (
    CANARY,
    GEMINI_API_VERSIONS,
    GEMINI_CANARY,
    expect_gemini,
    gemini_layout,
    gemini_response,
    openai_completion,
)


def test_gemini_sdk_speaks_an_api_version_the_service_serves(
    httpserver, gemini_url, record_property
):
    expect_gemini(httpserver, gemini_response(), model="gemini-2.5-flash")
    model = build_chat_model("google", "gemini-2.5-flash", GEMINI_CANARY, base_url=gemini_url)
    reply = model.invoke("ping")
    layout = gemini_layout(httpserver)
    record_property("gemini_layout", f"google-genai {version('google-genai')}: /{layout}/models")
    print(f"google-genai {version('google-genai')} sent /{layout}/models/…:generateContent")
    assert layout in GEMINI_API_VERSIONS
    assert reply.content == "ok"
    request, _ = httpserver.log[0]
    assert request.headers["x-goog-api-key"] == GEMINI_CANARY
    assert json.loads(request.data)["contents"][0]["parts"][0]["text"] == "ping"


def test_openai_sdk_speaks_chat_completions(httpserver, record_property):
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_json(
        openai_completion()
    )
    model = build_chat_model("openai", "gpt-4o-mini", CANARY, base_url=httpserver.url_for("/v1"))
    assert model.invoke("ping").content == "ok"
    request, _ = httpserver.log[0]
    record_property("openai_layout", f"openai {version('openai')}: {request.path}")
    assert request.path == "/v1/chat/completions"
    assert json.loads(request.data)["messages"][-1] == {"role": "user", "content": "ping"}


def test_anthropic_sdk_speaks_the_messages_api(httpserver, record_property):
    httpserver.expect_request("/v1/messages", method="POST").respond_with_json(
        {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-test-model",
            "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        }
    )
    model = build_chat_model(
        "anthropic", "claude-test-model", CANARY, base_url=httpserver.url_for("/")
    )
    assert model.invoke("ping").content == "ok"
    request, _ = httpserver.log[0]
    record_property("anthropic_layout", f"anthropic {version('anthropic')}: {request.path}")
    assert request.path == "/v1/messages"
