"""Core tables every domain refers to: users and the audit log."""

from omc.core.models import AuditLog, User

__all__ = ["AuditLog", "User"]
