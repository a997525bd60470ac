"""Where the master key comes from, and the key file omc creates when there is none yet.

Lookup order: a systemd credential (``$CREDENTIALS_DIRECTORY/omc-master-key``), the
``OMC_MASTER_KEY`` environment variable, then the key file ``$OMC_HOME/vault/master.key``.
Each source holds one or more Fernet keys, newest (primary) first, separated by commas or
newlines; the key file is the only source omc ever writes, and only when no secret exists yet
or during ``omc vault rotate``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from omc.errors import HomeNotWritable, PermissionProblem, SecretUnavailable

CREDENTIAL_NAME = "omc-master-key"
ENV_NAME = "OMC_MASTER_KEY"
KEY_FILE_NAME = "master.key"


@dataclass(frozen=True)
class MasterKey:
    """One Fernet key and its fingerprint (the id recorded beside each ciphertext)."""

    key: bytes

    @property
    def key_id(self) -> str:
        return fingerprint(self.key)

    def __repr__(self) -> str:  # never show key material, even in a debugger
        return f"MasterKey(key_id={self.key_id!r})"


@dataclass(frozen=True)
class KeyRing:
    """The keys one source holds, primary first, and where they came from."""

    keys: tuple[MasterKey, ...]
    source: str
    path: Path | None = None

    @property
    def primary(self) -> MasterKey:
        return self.keys[0]

    def key_ids(self) -> list[str]:
        return [key.key_id for key in self.keys]


def fingerprint(key: bytes) -> str:
    """A short, non-reversible id for a key: ``k-`` and 12 hex digits of an HMAC over it."""
    digest = hmac.new(key, b"omc vault key id", hashlib.sha256).hexdigest()
    return f"k-{digest[:12]}"


def parse_keys(text: str, source: str) -> tuple[MasterKey, ...]:
    """Read Fernet keys (comma or newline separated, ``#`` comments) and check each is valid."""
    from cryptography.fernet import Fernet

    keys = []
    uncommented = ",".join(line.split("#", 1)[0] for line in text.splitlines())
    for part in uncommented.split(","):
        candidate = part.strip()
        if not candidate:
            continue
        try:
            Fernet(candidate.encode())
        except (ValueError, TypeError):
            # Never echo the value: it may be a real key with a typo.
            raise SecretUnavailable(
                f"the master key in {source} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
        keys.append(MasterKey(candidate.encode()))
    return tuple(keys)


def key_file_path(home: Path) -> Path:
    return home / "vault" / KEY_FILE_NAME


def permission_problems(path: Path) -> list[str]:
    """Unsafe permissions on the key file or its directory (empty when all is well)."""
    problems = []
    for item, wanted in ((path.parent, 0o700), (path, 0o600)):
        if not item.exists():
            continue
        mode = stat.S_IMODE(item.stat().st_mode)
        if mode & 0o077:
            problems.append(
                f"{item} has mode {mode:04o}; it must be {wanted:04o} (chmod {wanted:o})"
            )
    return problems


def load_keyring(home: Path, environ: Mapping[str, str] | None = None) -> KeyRing | None:
    """The keys from the first source that has any, or None when no source has a key."""
    environ = os.environ if environ is None else environ
    credentials_dir = environ.get("CREDENTIALS_DIRECTORY")
    if credentials_dir:
        path = Path(credentials_dir) / CREDENTIAL_NAME
        if path.is_file():
            source = f"systemd credential {CREDENTIAL_NAME}"
            keys = parse_keys(path.read_text(), source)
            if keys:
                return KeyRing(keys, "systemd credential", path)
    value = environ.get(ENV_NAME, "")
    if value.strip():
        return KeyRing(parse_keys(value, f"environment variable {ENV_NAME}"), "environment")
    path = key_file_path(home)
    if path.is_file():
        problems = permission_problems(path)
        if problems:
            raise PermissionProblem("refusing to use the master key file: " + problems[0])
        try:
            text = path.read_text()
        except PermissionError:
            raise PermissionProblem(f"cannot read the master key file {path}") from None
        keys = parse_keys(text, f"key file {path}")
        if keys:
            return KeyRing(keys, "key file", path)
    return None


def write_key_file(path: Path, keys: tuple[MasterKey, ...]) -> None:
    """Write ``keys`` (primary first) to ``path`` atomically: mode 0600 in a 0700 directory.

    The new file is fully written and synced before it replaces the old one, so a crash leaves
    either the old file or the new one, never a torn file.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        temporary = path.with_name(path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("# omc master keys, newest first. Losing this file loses every secret.\n")
            for key in keys:
                handle.write(key.key.decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        raise HomeNotWritable(
            f"cannot write the master key file {path}: {error.strerror or error}"
        ) from None


def generate_key() -> MasterKey:
    from cryptography.fernet import Fernet

    return MasterKey(Fernet.generate_key())
