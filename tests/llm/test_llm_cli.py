"""``omc llm`` through the real CLI, real databases and loopback provider servers."""

from __future__ import annotations

import json
import sys

import pytest
from typer.main import get_command

from omc.cli.main import app
from tests.llm.conftest import (
    CANARY,
    GEMINI_API_VERSIONS,
    GEMINI_CANARY,
    expect_gemini,
    gemini_error,
    gemini_layout,
    gemini_response,
    openai_completion,
    openai_error,
)

MODEL = "gpt-4o-mini"


def add_openai(cli, url, *extra, key=CANARY):
    return cli(
        "llm", "add", "--provider", "openai", "--model", MODEL, "--base-url", url,
        "--api-key-stdin", *extra, input=key + "\n",
    )  # fmt: skip


def listed(cli):
    result = cli("llm", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_validates_against_an_openai_server_and_lists_the_key_masked(
    cli, db_env, httpserver, openai_url
):
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_json(
        openai_completion()
    )
    result = add_openai(cli, openai_url)
    assert result.exit_code == 0, result.output
    (row,) = listed(cli)
    assert (
        result.stdout
        == f"checked and stored: {row['id']} openai {MODEL} key sk-C…2f3c4d (default)\n"
    )
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == f"Bearer {CANARY}"
    assert json.loads(request.data)["model"] == MODEL
    result = cli("llm", "list")
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["ID", "PROVIDER", "MODEL", "KEY", "DEFAULT", "LAST", "USED"],
        [row["id"], "openai", "gpt-4o-mini", "sk-C…2f3c4d", "yes", "never"],
    ]


def test_add_validates_a_gemini_key_against_the_gemini_rest_api(
    cli, db_env, httpserver, gemini_url
):
    expect_gemini(httpserver, gemini_response(), model="gemini-2.5-flash")
    result = cli(
        "llm", "add", "--provider", "google", "--model", "gemini-2.5-flash",
        "--base-url", gemini_url, input=GEMINI_CANARY + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert gemini_layout(httpserver) in GEMINI_API_VERSIONS
    assert httpserver.log[0][0].headers["x-goog-api-key"] == GEMINI_CANARY
    (row,) = listed(cli)
    assert (row["provider"], row["key"], row["default"]) == ("google", "AIza…440000", True)


@pytest.mark.parametrize(
    ("status", "body", "exit_code", "message"),
    [
        (401, openai_error(401, f"Incorrect API key provided: {CANARY}"), 64,
         "openai rejected the API key (invalid key)"),
        (404, openai_error(404, "The model `gpt-4o-mini` does not exist"), 64,
         "openai does not know the model 'gpt-4o-mini' (unknown model)"),
        (429, openai_error(429, "You exceeded your current quota"), 69,
         "openai refused the request: quota exceeded or rate limited"),
    ],
)  # fmt: skip
def test_failed_validation_gives_a_plain_message_and_stores_nothing(
    cli, db_env, httpserver, openai_url, status, body, exit_code, message
):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(body, status=status)
    result = add_openai(cli, openai_url)
    assert result.exit_code == exit_code
    assert result.stderr == f"omc: error: {message}\n"
    assert CANARY not in result.output
    assert listed(cli) == []


def test_gemini_invalid_key_maps_to_the_plain_message(cli, db_env, httpserver, gemini_url):
    expect_gemini(
        httpserver,
        gemini_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"),
        status=400,
    )
    result = cli(
        "llm", "add", "--provider", "google", "--model", "gemini-2.5-flash",
        "--base-url", gemini_url, "--api-key-stdin", input=GEMINI_CANARY + "\n",
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: google rejected the API key (invalid key)\n",
    )
    assert listed(cli) == []


def test_unreachable_server_is_reported_as_network_unreachable(cli, db_env, unused_port):
    result = add_openai(cli, f"http://127.0.0.1:{unused_port}/v1")
    assert (result.exit_code, result.stderr) == (
        69,
        "omc: error: cannot reach openai: network unreachable or timed out\n",
    )
    assert listed(cli) == []


def test_key_from_named_environment_variable_and_no_validate(cli, db_env):
    result = cli(
        "llm", "add", "--provider", "openai", "--model", MODEL, "--api-key-env", "MY_KEY",
        "--no-validate", env={"MY_KEY": CANARY},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("stored without a check: ")
    result = cli(
        "llm", "add", "--provider", "openai", "--model", MODEL, "--api-key-env", "UNSET_VAR",
        "--no-validate",
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: environment variable UNSET_VAR is not set or is empty\n",
    )


def test_openai_compatible_server_needs_a_base_url_but_no_key(cli, db_env, httpserver, openai_url):
    result = cli("llm", "add", "--provider", "openai-compatible", "--model", "llama3.1")
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: the openai-compatible provider needs --base-url "
        "(e.g. http://127.0.0.1:11434/v1)\n",
    )
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        openai_completion("llama3.1")
    )
    result = cli(
        "llm", "add", "--provider", "openai-compatible", "--model", "llama3.1",
        "--base-url", openai_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = listed(cli)
    assert (row["key"], row["base_url"]) == ("(none)", openai_url)


def test_default_test_and_remove_with_purge(cli, db_env, httpserver, openai_url, engine):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(openai_completion())
    assert add_openai(cli, openai_url).exit_code == 0
    assert add_openai(cli, openai_url).exit_code == 0
    first, second = listed(cli)
    assert (first["default"], second["default"]) == (True, False)
    result = cli("llm", "default", second["id"])
    assert result.stdout == f"default: {second['id']} openai {MODEL}\n"
    assert [row["default"] for row in listed(cli)] == [False, True]
    result = cli("llm", "test", second["id"])
    assert (result.exit_code, result.stdout) == (0, f"ok: {second['id']} openai {MODEL} answered\n")
    result = cli("llm", "remove", second["id"])
    assert result.stdout == f"removed: {second['id']} openai {MODEL}\n"
    assert [row["id"] for row in listed(cli)] == [first["id"]]
    result = cli("llm", "remove", second["id"], "--purge")
    assert result.stdout == f"removed and purged: {second['id']} openai {MODEL}\n"
    import sqlalchemy as sa

    with engine.connect() as connection:
        ciphertexts = (
            connection.execute(
                sa.text("SELECT encrypted_api_key FROM user_llm_credentials ORDER BY created_at")
            )
            .scalars()
            .all()
        )
    assert ciphertexts[0] is not None
    assert ciphertexts[1] is None
    result = cli("llm", "test", "ffffffff")
    assert (result.exit_code, result.stderr) == (
        66,
        "omc: error: no LLM credential 'ffffffff'; `omc llm list` shows yours\n",
    )


def test_unknown_provider_and_missing_extra_are_one_line_errors(cli, db_env):
    result = cli("llm", "add", "--provider", "mistral", "--model", "x", "--no-validate")
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: unknown provider 'mistral'; use one of: google, openai, anthropic, "
        "openai-compatible\n",
    )


def test_missing_extra_gives_the_exact_pip_line(cli, db_env, monkeypatch):
    # A None entry in sys.modules is how Python itself marks a package as not importable.
    monkeypatch.setitem(sys.modules, "langchain_anthropic", None)
    result = cli(
        "llm", "add", "--provider", "anthropic", "--model", "claude-sonnet-4-5",
        "--api-key-env", "K", env={"K": CANARY},
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        69,
        "omc: error: the anthropic provider needs the langchain-anthropic package; "
        "install it with: pip install 'omc[anthropic]'\n",
    )


def anthropic_message(model: str = "claude-test-model", prompt: int = 11, output: int = 1) -> dict:
    """A Messages API response (docs.anthropic.com, "Messages": POST /v1/messages)."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": output},
    }


def test_add_validates_an_anthropic_key_against_the_messages_api(cli, db_env, httpserver):
    httpserver.expect_request("/v1/messages", method="POST").respond_with_json(anthropic_message())
    result = cli(
        "llm", "add", "--provider", "anthropic", "--model", "claude-test-model",
        "--base-url", httpserver.url_for("/"), "--api-key-stdin", input=CANARY + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    request, _ = httpserver.log[0]
    # Older Anthropic SDKs send the key as x-api-key, current ones as a bearer token.
    sent = {request.headers.get("x-api-key"), request.headers.get("Authorization")}
    assert sent & {CANARY, f"Bearer {CANARY}"}
    assert json.loads(request.data)["model"] == "claude-test-model"
    (row,) = listed(cli)
    assert (row["provider"], row["model"], row["key"]) == (
        "anthropic",
        "claude-test-model",
        "sk-C…2f3c4d",
    )


def test_anthropic_invalid_key_maps_to_the_plain_message(cli, db_env, httpserver):
    httpserver.expect_request("/v1/messages", method="POST").respond_with_json(
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        },
        status=401,
    )
    result = cli(
        "llm", "add", "--provider", "anthropic", "--model", "claude-test-model",
        "--base-url", httpserver.url_for("/"), "--api-key-stdin", input=CANARY + "\n",
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: anthropic rejected the API key (invalid key)\n",
    )
    assert listed(cli) == []


def test_no_command_accepts_a_key_as_an_option_value():
    """Keys never travel in argv: no option named like a key or secret takes a value,
    except --api-key-env, which takes the *name* of a variable."""
    root = get_command(app)
    offenders = []

    def walk(command, path):
        for param in command.params:
            names = " ".join(param.opts)
            if any(word in names for word in ("key", "secret", "token", "password")) and not (
                param.is_flag or names == "--api-key-env"
            ):
                offenders.append(f"{path} {names}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "omc")
    assert offenders == []


def test_api_key_option_is_refused(cli, db_env):
    result = cli("llm", "add", "--provider", "openai", "--model", MODEL, "--api-key", CANARY)
    assert result.exit_code == 2
    assert CANARY not in result.output
