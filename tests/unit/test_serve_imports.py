"""A service that does not migrate at start does not carry Alembic in its memory."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["national_council", "regional_council", "notifications"])
def test_serving_imports_no_alembic(package: str) -> None:
    # What `<service> serve` imports before it builds the app; Alembic and Mako are 7 MiB of
    # a service's resident memory, loaded only when it migrates.
    code = (
        f"import sys, {package}.cli, {package}.bootstrap; "
        "print(sorted(m for m in ('alembic', 'mako') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
