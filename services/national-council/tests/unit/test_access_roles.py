"""Roles rise in order: each allows what the ones below allow, and nothing above."""

from __future__ import annotations

import itertools

import pytest

from national_council.domain.staff import Role, Staff, valid_username


def test_roles_rise_in_the_documented_order() -> None:
    assert list(Role) == [Role.READER, Role.TRIAGER, Role.ASSESSOR, Role.ADMIN]
    assert [r.rank for r in Role] == [0, 1, 2, 3]


@pytest.mark.parametrize(("held", "needed"), list(itertools.product(Role, Role)))
def test_a_role_allows_exactly_the_roles_at_or_below_it(held: Role, needed: Role) -> None:
    expected = list(Role).index(held) >= list(Role).index(needed)
    assert held.allows(needed) is expected
    assert Staff("anna", held).may(needed) is expected


def test_the_issue_s_denials_follow_from_the_order() -> None:
    # "A reader cannot change anything; only an assessor publishes."
    assert not Role.READER.allows(Role.TRIAGER)
    assert not Role.TRIAGER.allows(Role.ASSESSOR)
    assert Role.ASSESSOR.allows(Role.ASSESSOR) and Role.ADMIN.allows(Role.ASSESSOR)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("anna", True),
        ("anna.berg-2_x", True),
        ("a", False),  # too short
        ("Anna", False),  # upper case
        ("-anna", False),  # must start with a letter or digit
        ("anna berg", False),
        ("x" * 63, True),
        ("x" * 64, False),
        ("änna", False),
    ],
)
def test_usernames(name: str, ok: bool) -> None:
    assert valid_username(name) is ok
