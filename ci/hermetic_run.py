"""Is the suite hermetic? Run the fast tier with no network but loopback, with HOME, KERAS_HOME
and the other cache folders pointing at empty temporary folders, and check that it wrote nothing
into the checkout.

    python -m ci.hermetic_run [--out reports/hermetic] [-- extra pytest args, e.g. --data-dir=DIR]

The network is cut with a new network namespace (`unshare --net`, which needs root, with only the
loopback interface brought up); where that is not possible the run says so and relies on the
suite's own network guard. Exit status 0 only if the run passed and the checkout is unchanged.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ci.suite_runs import ROOT, run_suite

# HYPOTHESIS_STORAGE_DIRECTORY: hypothesis keeps its example database and (in recent releases) a cache of
# the constants it finds in the tested modules there, by default in .hypothesis/ of the checkout.
CACHE_VARIABLES = ("HOME", "KERAS_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TFHUB_CACHE_DIR", "TFDS_DATA_DIR",
                   "HYPOTHESIS_STORAGE_DIRECTORY")


def checkout_state() -> set[str]:
    """Every path git sees as changed, untracked or ignored in the checkout."""
    listing = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                             cwd=ROOT, capture_output=True, text=True, check=True)
    return set(listing.stdout.splitlines())


def network_namespace_prefix() -> list[str] | None:
    """A command prefix that runs its command with loopback as the only network, if possible."""
    if not (shutil.which("unshare") and shutil.which("ip")) or os.geteuid() != 0:
        return None
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "hermetic"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the report (default: a temporary one)")
    parser.add_argument("extra", nargs="*", help="further pytest arguments")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="handbook-spec-hermetic-") as scratch:
        scratch = Path(scratch)
        env = {}
        for name in CACHE_VARIABLES:
            (scratch / name.lower()).mkdir()
            env[name] = str(scratch / name.lower())
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # the interpreter's own caches would land in the checkout
        out = options.out or scratch / "reports"
        out.mkdir(parents=True, exist_ok=True)
        prefix = network_namespace_prefix()
        print("network: " + ("loopback only (new network namespace)" if prefix else
                             "not isolated here (needs root and unshare); the suite's network guard still applies"))
        before = checkout_state()
        run = run_suite("hermetic", ["-n", "auto", "-p", "no:cacheprovider", *options.extra],
                        out / "hermetic.json", env=env, prefix=prefix)
        written = sorted(checkout_state() - before)
        left_in_home = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*")
                              if p.is_file() and not p.is_relative_to(out))
    print(f"exit {run.exit_status} in {run.seconds:.1f} s")
    if run.exit_status != 0:
        print(run.output_tail)
    if run.report:
        print("verdicts: " + ", ".join(f"{n} {s}" for s, n in run.report["summary"].items()))
    if written:
        print("the run wrote into the checkout:\n  " + "\n  ".join(written))
    if left_in_home:
        print(f"files left in the temporary home and cache folders (allowed): {len(left_in_home)}")
    return 1 if run.exit_status != 0 or written else 0


if __name__ == "__main__":
    sys.exit(main())
