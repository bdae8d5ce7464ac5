"""A lifecycle as a table of allowed transitions; pure Python, used by every domain."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = ["Conflict", "IllegalTransition", "InvalidInput", "Lifecycle", "NotFound"]

S = TypeVar("S", bound=StrEnum)


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409)."""


class IllegalTransition(Conflict):
    """A command asked for a move the lifecycle does not allow; names the current state."""

    def __init__(self, entity: str, current: StrEnum, target: StrEnum) -> None:
        super().__init__(f"{entity} is '{current.value}'; it cannot move to '{target.value}'")
        self.current = current
        self.target = target


class InvalidInput(ValueError):
    """A value the caller sent is not acceptable here (HTTP 422 naming the field)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {message}")
        self.loc = loc
        self.message = message


class NotFound(Exception):
    """No such entity (or not visible to this caller)."""


class Lifecycle(Generic[S]):
    """Allowed moves between states; anything else is an IllegalTransition."""

    def __init__(self, entity: str, moves: Mapping[S, frozenset[S]]) -> None:
        self.entity = entity
        self.moves = moves

    def can(self, current: S, target: S) -> bool:
        """Whether current → target is allowed."""
        return target in self.moves.get(current, frozenset())

    def check(self, current: S, target: S) -> S:
        """Return target if allowed, else raise IllegalTransition."""
        if not self.can(current, target):
            raise IllegalTransition(self.entity, current, target)
        return target

    def is_final(self, state: S) -> bool:
        """A state with no way out."""
        return not self.moves.get(state)
