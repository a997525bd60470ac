"""The factory, usage capture, budgets and isolation between users, on both databases."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_openai import ChatOpenAI
from sqlmodel import select

from omc.core.models import AuditLog
from omc.core.users import get_or_create_user
from omc.db import session_scope
from omc.errors import NotFound
from omc.lab.llm import NoModelConfigured, choose_chat_model, create_chat_model
from omc.llm.budget import BudgetExceeded, budget_state, open_budget
from omc.llm.credentials import (
    active_credentials,
    default_credential,
    remove_credential,
    store_credential,
)
from omc.llm.models import LLMUsage
from omc.llm.usage import usage_report
from omc.llm.validation import TooManyValidations, record_attempt
from omc.settings import load_settings
from omc.vault import Vault
from tests.llm.conftest import (
    CANARY,
    GEMINI_CANARY,
    expect_gemini,
    gemini_response,
    openai_completion,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings():
    return load_settings().settings


@pytest.fixture
def vault(isolated_environment):
    return Vault(isolated_environment)


def add(session, vault, user, provider="openai", model="gpt-4o-mini", key=CANARY, **kw):
    return store_credential(session, vault, user.id, provider, model, key, **kw)


def test_named_credential_then_user_default_then_system_default_then_none(
    session, vault, settings, openai_url
):
    user = get_or_create_user(session, "alice")
    with pytest.raises(NoModelConfigured, match="no LLM is configured: add one with `omc llm add`"):
        create_chat_model(session, user, settings=settings, vault=vault, environ={})
    system = choose_chat_model(
        session, user, settings=settings, vault=vault, environ={"GOOGLE_API_KEY": GEMINI_CANARY}
    )
    assert (system.source, system.provider, system.model_name) == (
        "system default", "google", "gemini-2.5-flash",
    )  # fmt: skip
    assert isinstance(system.model, ChatGoogleGenerativeAI)
    first = add(session, vault, user, base_url=openai_url)
    second = add(session, vault, user, model="gpt-4.1-mini", base_url=openai_url)
    chosen = choose_chat_model(session, user, settings=settings, vault=vault)
    assert (chosen.source, chosen.credential_id) == ("user default", first.id)
    assert isinstance(chosen.model, ChatOpenAI)
    assert chosen.model.request_timeout == settings.llm.request_timeout_seconds
    named = choose_chat_model(session, user, second.id.hex[:8], settings=settings, vault=vault)
    assert (named.source, named.model_name) == ("credential", "gpt-4.1-mini")
    assert second.last_used_at is not None
    audits = list(session.exec(select(AuditLog).where(AuditLog.action == "secret.decrypt")))
    assert {(a.user_id, a.target, a.detail["purpose"]) for a in audits} == {
        (user.id, f"user_llm_credentials:{first.id}", "lab"),
        (user.id, f"user_llm_credentials:{second.id}", "lab"),
    }
    assert all(CANARY not in str(a.detail) for a in audits)


def test_active_credentials_query_leaves_out_removed_ones(session, vault):
    user = get_or_create_user(session, "bob")
    kept = add(session, vault, user)
    gone = add(session, vault, user)
    remove_credential(session, user.id, gone.id.hex)
    assert [row.id for row in active_credentials(session, user.id)] == [kept.id]


def test_default_credential_query_needs_both_default_and_active(session, vault):
    user = get_or_create_user(session, "carol")
    first = add(session, vault, user)
    add(session, vault, user)
    assert default_credential(session, user.id).id == first.id
    remove_credential(session, user.id, first.id.hex)
    assert default_credential(session, user.id) is None


def test_validation_limit_is_ten_per_hour_and_persisted(engine):
    with session_scope(engine) as session:
        user_id = get_or_create_user(session, "dave").id
    for minute in range(10):
        record_attempt(engine, user_id, "openai", limit=10, now=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(TooManyValidations) as caught:
        record_attempt(engine, user_id, "openai", limit=10, now=NOW + dt.timedelta(minutes=30))
    assert str(caught.value) == (
        "at most 10 key validations per hour; try again after 13:00 UTC (or add with --no-validate)"
    )
    record_attempt(engine, user_id, "openai", limit=10, now=NOW + dt.timedelta(minutes=61))


def test_usage_callback_records_tokens_and_cost_from_real_openai_calls(
    engine, vault, settings, httpserver, openai_url
):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        openai_completion(prompt=1000, completion=500)
    )
    session_id = uuid.uuid4()
    with session_scope(engine) as session:
        user = get_or_create_user(session, "erin")
        credential = add(session, vault, user, base_url=openai_url)
        open_budget(session, session_id, user.id, call_limit=2)
    with session_scope(engine) as session:
        model = create_chat_model(
            session, user.id, settings=settings, vault=vault, engine=engine, session_id=session_id
        )
    assert model.invoke("hello").content == "ok"
    model.invoke("again")
    with pytest.raises(BudgetExceeded, match="used all 2 of its LLM calls"):
        model.invoke("one too many")
    assert len(httpserver.log) == 2
    with session_scope(engine) as session:
        rows = list(session.exec(select(LLMUsage)))
        assert {(r.credential_id, r.session_id, r.model_name) for r in rows} == {
            (credential.id, session_id, "gpt-4o-mini")
        }
        assert [(r.input_tokens, r.output_tokens) for r in rows] == [(1000, 500), (1000, 500)]
        # gpt-4o-mini: $0.15 / M input, $0.60 / M output
        assert [r.cost_usd for r in rows] == [Decimal("0.00045"), Decimal("0.00045")]
        state = budget_state(session, session_id)
        assert (state.calls_used, state.calls_left, state.cost_usd) == (2, 0, Decimal("0.0009"))
        report = usage_report(session, user.id, NOW - dt.timedelta(days=3650))
    assert report["by_model"] == [
        {"provider": "openai", "model_name": "gpt-4o-mini", "input_tokens": 2000,
         "output_tokens": 1000, "cost_usd": Decimal("0.000900"), "unpriced_calls": 0, "calls": 2}
    ]  # fmt: skip
    assert [row["session_id"] for row in report["by_session"]] == [session_id]


def test_usage_from_gemini_and_the_session_cost_limit(
    engine, vault, settings, httpserver, gemini_url
):
    expect_gemini(httpserver, gemini_response(prompt=1_000_000, output=0))
    session_id = uuid.uuid4()
    with session_scope(engine) as session:
        user = get_or_create_user(session, "frank")
        add(session, vault, user, "google", "gemini-2.5-flash", GEMINI_CANARY, base_url=gemini_url)
        open_budget(session, session_id, user.id, call_limit=100, cost_limit_usd=Decimal("0.50"))
        model = create_chat_model(
            session, user, settings=settings, vault=vault, engine=engine, session_id=session_id
        )
    model.invoke("one")  # $0.30
    model.invoke("two")  # $0.60 in total: at the limit
    with pytest.raises(BudgetExceeded, match=r"reached its LLM cost limit \(\$0.6000 of \$0.50\)"):
        model.invoke("three")
    with session_scope(engine) as session:
        tokens = session.execute(sa.select(sa.func.sum(LLMUsage.input_tokens))).scalar()
    assert tokens == 2_000_000


def test_two_users_cannot_see_or_use_each_others_credentials(session, vault, settings):
    alice = get_or_create_user(session, "alice2")
    mallory = get_or_create_user(session, "mallory")
    secret = add(session, vault, alice)
    assert active_credentials(session, mallory.id) == []
    assert default_credential(session, mallory.id) is None
    with pytest.raises(NotFound):
        create_chat_model(session, mallory, secret.id, settings=settings, vault=vault)
    with pytest.raises(NotFound):
        remove_credential(session, mallory.id, secret.id.hex)
    with pytest.raises(NoModelConfigured):
        create_chat_model(session, mallory, settings=settings, vault=vault, environ={})
    assert secret.is_active is True
