"""Do the verdicts depend on test order, on parallelism, or on the seed? Run the fast tier in several
shuffled orders and with and without xdist, or (--seeds) a tier once per --seed, and compare every
claim's status and test outcomes.

    python -m ci.verdict_stability [--orders 3] [--out reports/stability] [-- extra pytest args]
    python -m ci.verdict_stability --seeds 0,1,2 [--tier slow] [-- extra pytest args]

With --seeds the runs use `-n auto`, the tier given (default slow: the training claims judged over
several seeds) and `--seed=N` each. Exit status 0 only when every run passed and all verdicts are
identical.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ci.suite_runs import ROOT, run_suite, verdict_differences

# The harness tests are not claims; leaving them out keeps each run short.
BASE_ARGS = ["spec", "reference", "--ignore=spec/meta", "-q", "-p", "no:cacheprovider", "--derandomize"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3, help="number of shuffled orders (default 3)")
    parser.add_argument("--seeds", default="", help="comma-separated --seed values: one run of --tier per seed")
    parser.add_argument("--tier", default="slow", choices=("fast", "slow", "all", "book"),
                        help="the tier of the --seeds runs (default slow)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "stability", help="folder for the reports")
    parser.add_argument("extra", nargs="*", help="further pytest arguments, e.g. --data-dir=DIR")
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)

    if options.seeds:
        try:
            seeds = [int(s) for s in options.seeds.split(",") if s.strip()]
        except ValueError:
            parser.error(f"--seeds: {options.seeds!r} is not a comma-separated list of integers")
        plans = [(f"tier {options.tier} --seed={s}", ["-n", "auto", f"--tier={options.tier}", f"--seed={s}"])
                 for s in seeds]
    else:
        plans = [("file-order -n 0", ["-n", "0"]), ("file-order -n auto", ["-n", "auto"])]
        plans += [(f"order-seed {seed} -n 0", ["-n", "0", f"--order-seed={seed}"])
                  for seed in range(1, options.orders + 1)]
    runs = []
    for label, args in plans:
        run = run_suite(label, BASE_ARGS + args + options.extra,
                        options.out / f"{label.replace(' ', '_').replace('=', '-')}.json")
        print(f"{label:<24} exit {run.exit_status}  {run.seconds:6.1f} s", flush=True)
        if run.exit_status != 0:
            print(run.output_tail)
        runs.append(run)

    differences = verdict_differences(runs)
    failed = [run.label for run in runs if run.exit_status != 0 or run.report is None]
    claims = len(runs[0].verdicts()) if runs[0].report else 0
    print(f"{claims} claims compared across {len(runs)} runs: "
          + ("identical verdicts" if not differences else f"{len(differences)} differ"))
    for line in differences:
        print("  " + line)
    if failed:
        print("runs that did not pass: " + ", ".join(failed))
    return 1 if differences or failed else 0


if __name__ == "__main__":
    sys.exit(main())
