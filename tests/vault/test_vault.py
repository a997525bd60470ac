"""The vault on real SQLite and PostgreSQL: key sources, refusal to orphan secrets, rotation."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from omc.core.audit import recent
from omc.core.users import get_or_create_user
from omc.db import session_scope
from omc.errors import PermissionProblem, SecretUnavailable, UsageProblem
from omc.llm.models import UserLLMCredential
from omc.vault import Sealed, Vault, rotate, vault_status
from omc.vault.keys import fingerprint, key_file_path

SECRET = "AIzaSyCANARY-vault-test-0000440000"


@pytest.fixture(autouse=True)
def no_systemd_credentials(monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)


def store_secret(session, vault: Vault, username: str = "tester", secret: str = SECRET):
    user = get_or_create_user(session, username)
    sealed = vault.encrypt(session, secret)
    row = UserLLMCredential(
        user_id=user.id,
        provider="google",
        model_name="gemini-2.5-flash",
        encrypted_api_key=sealed.ciphertext,
        encryption_key_id=sealed.key_id,
    )
    session.add(row)
    session.flush()
    return user, row


def read_back(session, vault: Vault, row: UserLLMCredential) -> str:
    return vault.decrypt(
        session,
        Sealed(row.encrypted_api_key, row.encryption_key_id),
        user_id=row.user_id,
        target=f"llm:{row.id}",
        purpose="test",
    )


def test_first_secret_creates_a_private_key_file_and_round_trips_with_an_audit_row(
    session, isolated_environment
):
    vault = Vault(isolated_environment)
    user, row = store_secret(session, vault)
    path = key_file_path(isolated_environment)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert SECRET not in row.encrypted_api_key
    assert row.encryption_key_id == vault.keyring().primary.key_id
    assert read_back(session, vault, row) == SECRET
    entry = recent(session, user_id=user.id, limit=1)[0]
    assert entry.action == "secret.decrypt"
    assert entry.target == f"llm:{row.id}"
    assert entry.detail == {"purpose": "test", "key_id": row.encryption_key_id}
    assert vault_status(session, vault)["key_version"] == 1


def test_systemd_credential_wins_over_environment_which_wins_over_key_file(
    tmp_path, isolated_environment, monkeypatch
):
    file_key, env_key, systemd_key = (Fernet.generate_key() for _ in range(3))
    path = key_file_path(isolated_environment)
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_bytes(file_key)
    path.chmod(0o600)
    assert Vault(isolated_environment).keyring().source == "key file"
    monkeypatch.setenv("OMC_MASTER_KEY", env_key.decode())
    ring = Vault(isolated_environment).keyring()
    assert (ring.source, ring.primary.key_id) == ("environment", fingerprint(env_key))
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "omc-master-key").write_bytes(systemd_key)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    ring = Vault(isolated_environment).keyring()
    assert (ring.source, ring.primary.key_id) == ("systemd credential", fingerprint(systemd_key))


def test_missing_key_with_stored_secrets_fails_clearly_and_creates_nothing(
    session, isolated_environment
):
    vault = Vault(isolated_environment)
    _, row = store_secret(session, vault)
    path = key_file_path(isolated_environment)
    path.unlink()
    fresh = Vault(isolated_environment)
    with pytest.raises(SecretUnavailable) as caught:
        read_back(session, fresh, row)
    assert str(caught.value) == (
        "1 stored secret(s) were encrypted with master key v1, but omc found no master key, "
        "which cannot decrypt them; restore the key file, set OMC_MASTER_KEY, or provide the "
        "systemd credential omc-master-key"
    )
    with pytest.raises(SecretUnavailable):
        fresh.encrypt(session, "another secret")
    assert not path.exists()


def test_wrong_environment_key_is_refused_and_the_key_file_is_left_alone(
    session, isolated_environment, monkeypatch
):
    vault = Vault(isolated_environment)
    _, row = store_secret(session, vault)
    path = key_file_path(isolated_environment)
    before = path.read_bytes()
    monkeypatch.setenv("OMC_MASTER_KEY", Fernet.generate_key().decode())
    wrong = Vault(isolated_environment)
    with pytest.raises(SecretUnavailable, match="found the master key from environment"):
        read_back(session, wrong, row)
    with pytest.raises(SecretUnavailable):
        wrong.encrypt(session, "another secret")
    assert path.read_bytes() == before


def test_malformed_environment_key_is_reported_without_echoing_it(
    isolated_environment, monkeypatch
):
    monkeypatch.setenv("OMC_MASTER_KEY", "not-a-key-CANARY")
    with pytest.raises(SecretUnavailable) as caught:
        Vault(isolated_environment).keyring()
    assert "CANARY" not in str(caught.value)
    assert str(caught.value) == (
        "the master key in environment variable OMC_MASTER_KEY is not a valid Fernet key "
        "(32 url-safe base64-encoded bytes)"
    )


def test_group_readable_key_file_is_refused_and_reported(session, isolated_environment):
    vault = Vault(isolated_environment)
    store_secret(session, vault)
    path = key_file_path(isolated_environment)
    path.chmod(0o644)
    with pytest.raises(PermissionProblem, match="must be 0600"):
        Vault(isolated_environment).keyring()
    report = vault_status(session, Vault(isolated_environment))
    assert report["healthy"] is False
    assert f"{path} has mode 0644; it must be 0600 (chmod 600)" in report["problems"]


def _secrets(engine, vault):
    with session_scope(engine) as session:
        rows = list(session.exec(select(UserLLMCredential)))
        return [read_back(session, vault, row) for row in rows], {
            row.encryption_key_id for row in rows
        }


def _store_three(engine, home):
    vault = Vault(home)
    with session_scope(engine) as session:
        for number in range(3):
            store_secret(session, vault, secret=f"{SECRET}-{number}")
    return vault


def test_rotation_re_encrypts_every_secret_and_retires_the_old_key(engine, isolated_environment):
    vault = _store_three(engine, isolated_environment)
    old = vault.keyring().primary.key_id
    result = rotate(engine, vault)
    assert (result.secrets, result.version, result.retired) == (3, 2, (old,))
    ring = Vault(isolated_environment).keyring()
    assert ring.key_ids() == [result.key_id]
    values, key_ids = _secrets(engine, Vault(isolated_environment))
    assert sorted(values) == [f"{SECRET}-{n}" for n in range(3)]
    assert key_ids == {result.key_id}
    with session_scope(engine) as session:
        report = vault_status(session, Vault(isolated_environment))
    assert (report["key_version"], report["secrets_by_version"]) == (2, {"v2": 3})
    assert report["healthy"] is True


def test_rotation_that_crashes_midway_leaves_every_secret_readable_and_can_finish(
    engine, isolated_environment
):
    vault = _store_three(engine, isolated_environment)
    old = vault.keyring().primary.key_id

    def crash_after_first(count: int) -> None:
        if count == 2:
            raise KeyboardInterrupt("simulated crash")

    with pytest.raises(KeyboardInterrupt):
        rotate(engine, vault, on_secret=crash_after_first)
    after_crash = Vault(isolated_environment)
    assert len(after_crash.keyring().keys) == 2
    values, key_ids = _secrets(engine, after_crash)
    assert sorted(values) == [f"{SECRET}-{n}" for n in range(3)]
    assert key_ids == {old}
    with session_scope(engine) as session:
        assert any(
            "rotation has not finished" in p for p in vault_status(session, after_crash)["problems"]
        )

    result = rotate(engine, after_crash)
    values, key_ids = _secrets(engine, Vault(isolated_environment))
    assert sorted(values) == [f"{SECRET}-{n}" for n in range(3)]
    assert key_ids == {result.key_id}
    assert Vault(isolated_environment).keyring().key_ids() == [result.key_id]


def test_rotation_with_an_environment_key_needs_the_new_key_first(
    engine, isolated_environment, monkeypatch
):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("OMC_MASTER_KEY", old_key)
    vault = _store_three(engine, isolated_environment)
    with pytest.raises(UsageProblem, match="put a new key first"):
        rotate(engine, vault)
    monkeypatch.setenv("OMC_MASTER_KEY", f"{new_key},{old_key}")
    result = rotate(engine, Vault(isolated_environment))
    assert result.source_still_holds_old_keys is True
    monkeypatch.setenv("OMC_MASTER_KEY", new_key)
    values, key_ids = _secrets(engine, Vault(isolated_environment))
    assert len(values) == 3
    assert key_ids == {fingerprint(new_key.encode())}
    assert not key_file_path(isolated_environment).exists()


def test_vault_status_and_rotate_commands(cli, engine, isolated_environment):
    url = engine.url.render_as_string(hide_password=False)
    _store_three(engine, isolated_environment)
    result = cli("vault", "status", "--json", env={"OMC_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert '"secrets": 3' in result.stdout
    result = cli("vault", "rotate")
    assert result.exit_code == 0, result.output
    key_id = Vault(isolated_environment).keyring().primary.key_id
    assert result.stdout == (
        f"rotated: 3 secret(s) re-encrypted with master key v2 ({key_id}); 1 old key(s) retired\n"
    )
    key_file_path(isolated_environment).unlink()
    result = cli("vault", "status")
    assert result.exit_code == 77
    assert "! 3 secret(s) need a master key that the current source does not hold" in result.stdout
    assert os.listdir(key_file_path(isolated_environment).parent) == []
