"""The API against its own OpenAPI, the long way; prints its figures, asserts nothing.

    .venv/bin/python -m bench.contract [--examples 100] [--seed N] [--no-stateful]

The same in-process run as ``tests/test_api_contract.py`` (a seeded SQLite hub, the
administrator's token, derandomized) with many more examples per operation, every check
schemathesis has (positive_data_acceptance and the stateful ones included) and the stateful
phase. It prints the operations tested, the cases generated, the answers by status, the server
errors and the contract violations by check, then each failing check and operation with its first
message.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.contract_run import contract_app, run_contract


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description="The API against its own OpenAPI.")
    parser.add_argument("--examples", type=int, default=100, help="max examples per operation")
    parser.add_argument("--seed", type=int, default=20251205)
    parser.add_argument("--no-stateful", action="store_true", help="skip the stateful phase")
    args = parser.parse_args(argv)
    out = sys.stdout
    with (
        tempfile.TemporaryDirectory(prefix="cherga-contract-") as folder,
        contract_app(Path(folder)) as (app, token, logout_token),
    ):
        run = run_contract(
            app,
            token=token,
            logout_token=logout_token,
            max_examples=args.examples,
            seed=args.seed,
            checks=None,
            stateful=not args.no_stateful,
        )
    out.write(f"examples per operation  {args.examples} (seed {args.seed})\n")
    out.write(f"operations tested       {len(run.operations)}\n")
    out.write(f"cases generated         {run.cases}\n")
    out.write(f"answers                 {sum(run.statuses.values())} in {run.seconds:.0f} s\n")
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(run.statuses.items()))
    out.write(f"  by status             {statuses}\n")
    out.write(f"server errors (5xx)     {run.server_errors}\n")
    by_check = run.violations_by_check()
    out.write(f"contract violations     {sum(by_check.values())}\n")
    for check in sorted(run.checks):
        out.write(f"  {check:<34} {by_check.get(check, 0):>6} of {run.checks[check]:>7} checked\n")
    if run.answers:
        out.write("\nanswers behind the violations (check: status and error code)\n")
        for (check, answer), count in run.answers.most_common():
            out.write(f"  {count:>6} {check}: {answer}\n")
    if run.failures or run.errors:
        out.write("\nfailures (check on operation: first message)\n")
        out.write(run.report() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
