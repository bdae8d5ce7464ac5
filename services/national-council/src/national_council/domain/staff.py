"""National staff: who they are and what their role lets them do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["USERNAME_PATTERN", "Role", "Staff", "valid_username"]

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
_USERNAME = re.compile(USERNAME_PATTERN)


class Role(StrEnum):
    """Roles in rising order: each role may do everything the roles below it may.

    reader: sees everything, changes nothing. triager: works the queue (triage, claim,
    assign, request information, decline, close). assessor: also drafts and publishes
    assessments, consultations and the operating plan. admin: also manages accounts.
    """

    READER = "reader"
    TRIAGER = "triager"
    ASSESSOR = "assessor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for reader … 3 for admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether someone with this role may do what ``needed`` is required for."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Staff:
    """An authenticated member of the national staff (or the operator token)."""

    username: str
    role: Role

    def may(self, needed: Role) -> bool:
        """Whether this person's role covers ``needed``."""
        return self.role.allows(needed)


def valid_username(username: str) -> bool:
    """Lower-case letters, digits, dot, dash, underscore; 2-63 characters."""
    return _USERNAME.fullmatch(username) is not None
