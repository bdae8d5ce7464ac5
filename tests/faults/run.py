"""`make faults`: the full fault suite (python -m tests.faults.run --escalations 2000)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.faults.network import FaultNetwork, fault_network
from tests.faults.report import write_report
from tests.faults.scenarios import SCENARIOS, Result, run_scenario


async def _all(net: FaultNetwork, count: int, full: bool, only: str | None) -> list[Result]:
    results = []
    for name, fault in SCENARIOS(full).items():
        if only and only not in name:
            continue
        results.append(await run_scenario(net, name, fault, count))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=2000, help="per scenario")
    parser.add_argument("--out", type=Path, default=Path(".run/faults"))
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="samverkan-faults-") as tmp,
        fault_network(Path(tmp)) as net,
    ):
        results = asyncio.run(_all(net, args.escalations, args.escalations >= 1000, args.only))
    write_report(results, args.out)
    print(f"written to {args.out}/report.md and report.json")
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
