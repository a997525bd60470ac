"""Who omc acts as: the OS login name unless ``OMC_USER`` names someone else."""

from __future__ import annotations

import getpass
import re

from sqlalchemy.orm import Session
from sqlmodel import select

from omc.core.models import User
from omc.errors import UsageProblem

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")


def login_name() -> str:
    """The OS login name, falling back to ``omc`` where none can be found (some containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "omc"


def resolve_username(configured: str | None) -> str:
    name = (configured or login_name()).strip()
    if not USERNAME_PATTERN.fullmatch(name):
        raise UsageProblem(
            f"invalid user name {name!r}: use letters, digits and . _ @ - (at most 150)"
        )
    return name


def get_or_create_user(session: Session, username: str) -> User:
    """The user with this name, created on first use so a single user never signs up."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is not None:
        return user
    user = User(username=username)
    session.add(user)
    session.flush()
    return user
