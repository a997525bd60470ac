"""The collector daemon (a real subprocess) schedules a source whose key is only in the vault,
sends that key, audits each decryption and masks the key in its logs and recorded errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omc.core.models import AuditLog
from omc.db import session_scope
from omc.ledgers.credentials.store import set_credential
from omc.settings import load_settings
from omc.vault import Vault
from tests.daemon.conftest import runs_by_source, wait_for

pytestmark = pytest.mark.slow
CANARY = "nk-CANARY-daemon-key-7c41e09a55"


def test_daemon_uses_the_vault_key_and_never_logs_it(
    engine, start_daemon, loopback_sources, isolated_environment, monkeypatch
):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with session_scope(engine) as session:
        set_credential(
            session, Vault(isolated_environment), load_settings(), "glass.nansen_api_key", CANARY
        )
    server = loopback_sources.server
    server.expect_request("/nansen/smart-money/netflow", method="POST").respond_with_json(
        {"message": f"Invalid API key {CANARY}"}, status=401
    )
    daemon = start_daemon(
        ["nansen"],
        env={"OMC_GLASS__NANSEN_URL": server.url_for("/nansen"), "OMC_LOG_LEVEL": "DEBUG"},
    )

    def failures():
        runs = runs_by_source(engine).get("nansen", [])
        return [run for run in runs if run.status == "failed"][:2] if len(runs) >= 2 else None

    failed = wait_for(failures, what="two failed nansen runs")
    daemon.terminate(timeout=8)
    assert {run.error for run in failed} == {
        "nansen /smart-money/netflow: HTTP 401: Invalid API key ***"
    }
    sent = [request.headers.get("apikey") for request, _ in server.log if "nansen" in request.path]
    assert set(sent) == {CANARY}
    with engine.connect() as connection:
        audits = connection.execute(
            sa.select(AuditLog.__table__.c.target).where(
                AuditLog.__table__.c.action == "secret.decrypt"
            )
        ).all()
    assert len(audits) >= len(failed)  # one decryption per run
    assert {row.target for row in audits} == {"source_credentials:glass.nansen_api_key"}
    output = daemon.output()
    assert "Invalid API key ***" in output
    assert CANARY not in output
