"""A loopback LLM server that answers from a script: OpenAI chat completions and Gemini REST.

Each request takes the next :class:`Turn` of the script (a reply, tool calls, a structured JSON
answer, an HTTP error, a delay, or a hold until the test releases it) and is kept, so a test
can read what the real client sent. It runs in a thread of the test process, so a CLI
subprocess can talk to it too. Only the network edge is faked: the client is the real
``langchain-openai`` (or ``langchain-google-genai``) one.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Turn:
    """One scripted answer."""

    content: str | None = None
    tool_calls: list[tuple[str, dict | str]] = field(default_factory=list)
    status: int = 200
    error: str = ""
    delay: float = 0.0
    hold: threading.Event | None = None
    prompt_tokens: int = 100
    completion_tokens: int = 20

    @classmethod
    def json(cls, value: Any, **options: Any) -> Turn:
        """A structured-output answer: the JSON text as the message content."""
        return cls(content=json.dumps(value), **options)

    @classmethod
    def call(cls, name: str, arguments: dict | str, **options: Any) -> Turn:
        return cls(tool_calls=[(name, arguments)], **options)

    @classmethod
    def calls(cls, *calls: tuple[str, dict | str], **options: Any) -> Turn:
        return cls(tool_calls=list(calls), **options)

    @classmethod
    def fail(cls, status: int, error: str = "scripted failure") -> Turn:
        return cls(status=status, error=error)


def _openai_body(turn: Turn, model: str, number: int) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": turn.content}
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{number}_{index}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for index, (name, args) in enumerate(turn.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if turn.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": turn.prompt_tokens,
            "completion_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens,
        },
    }


def _gemini_body(turn: Turn, model: str) -> dict:
    parts: list[dict[str, Any]] = []
    if turn.content is not None:
        parts.append({"text": turn.content})
    for name, args in turn.tool_calls:
        parts.append({"functionCall": {"name": name, "args": args}})
    return {
        "candidates": [
            {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": turn.prompt_tokens,
            "candidatesTokenCount": turn.completion_tokens,
            "totalTokenCount": turn.prompt_tokens + turn.completion_tokens,
        },
        "modelVersion": model,
    }


class ScriptedLLM:
    """The server and its script; use as a context manager (``with ScriptedLLM() as llm``)."""

    def __init__(self, script: list[Turn] | None = None) -> None:
        self.script: list[Turn] = list(script or [])
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.answered = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- the script ---------------------------------------------------------------------------
    def add(self, *turns: Turn) -> None:
        with self._lock:
            self.script.extend(turns)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self.script)

    def wait_for_requests(self, count: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    # -- addresses ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def gemini_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for turn in self.script:
            if turn.hold is not None:
                turn.hold.set()
        self._server.shutdown()
        self._server.server_close()

    # -- serving ------------------------------------------------------------------------------
    def _next(self, body: dict, path: str) -> Turn | None:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            return self.script.pop(0) if self.script else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                gemini = ":generateContent" in self.path
                turn = scripted._next(body, self.path)
                if turn is None:
                    self._send(500, {"error": {"message": "the script has no more turns"}})
                    return
                if turn.hold is not None:
                    turn.hold.wait(60)
                if turn.delay:
                    time.sleep(turn.delay)
                if turn.status != 200:
                    if gemini:
                        payload = {"error": {"code": turn.status, "message": turn.error}}
                    else:
                        payload = {"error": {"message": turn.error, "type": "scripted"}}
                    self._send(turn.status, payload)
                    return
                with scripted._lock:
                    scripted.answered += 1
                    number = scripted.answered
                if gemini:
                    model = self.path.rsplit("/", 1)[-1].split(":", 1)[0]
                    self._send(200, _gemini_body(turn, model))
                else:
                    self._send(200, _openai_body(turn, body.get("model", "scripted"), number))

        return Handler
