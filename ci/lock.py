"""Write the lock file of each matrix environment: ci/locks/<name>.txt, every package pinned.

    python -m ci.lock [--envs GLOB,...] [--check]

Resolves, with `uv pip compile`, the README's install (`.[extras]`), the environment's
`requirements` and its `holdbacks` for Python <python> on manylinux x86_64 (this machine and
GitHub's runners). ci.matrix installs each environment with its lock as constraints, so a venv built
today and one built next month hold the same packages, and the expectations plugin reads the
versions from the locks to check that every condition of the catalogue names an environment that
exists. `--check` only reports locks that are missing or older than their inputs, exit 1 if any.
Environments with `locked = false` (`next`) have none: they take the newest packages.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ci.matrix_config import ROOT, MatrixConfigError, MatrixEnvironment, dependency_digest, load_environments, select

PLATFORM = "x86_64-manylinux_2_35"
HEADER = "# Lock of the matrix environment {name}: python -m ci.lock --envs={name}\n# inputs {stamp}\n"


def inputs_stamp(env: MatrixEnvironment) -> str:
    digest = hashlib.sha256(dependency_digest().encode())
    digest.update("\n".join((env.requirement(), env.python, *env.requirements, *env.holdbacks)).encode())
    return digest.hexdigest()[:16]


def is_current(env: MatrixEnvironment) -> bool:
    return env.lock.is_file() and f"# inputs {inputs_stamp(env)}" in env.lock.read_text(encoding="utf-8")


def compile_lock(env: MatrixEnvironment) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.in"
        requirements.write_text("\n".join(env.requirements) + "\n", encoding="utf-8")
        constraints = Path(tmp) / "holdbacks.txt"
        constraints.write_text("\n".join(env.holdbacks) + "\n", encoding="utf-8")
        out = Path(tmp) / "lock.txt"
        command = ["uv", "pip", "compile", "pyproject.toml", str(requirements), "-c", str(constraints),
                   "--python-version", env.python, "--python-platform", PLATFORM, "--no-header", "--no-annotate",
                   "--quiet", "-o", str(out)]
        command += [arg for extra in env.extras for arg in ("--extra", extra)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            return False, (done.stderr.strip().splitlines() or ["uv pip compile failed"])[-1]
        env.lock.parent.mkdir(parents=True, exist_ok=True)
        env.lock.write_text(HEADER.format(name=env.name, stamp=inputs_stamp(env)) + out.read_text(encoding="utf-8"),
                            encoding="utf-8")
    return True, "written"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", default="", help="comma-separated names or globs (default: every locked environment)")
    parser.add_argument("--check", action="store_true", help="only report missing or out-of-date locks")
    options = parser.parse_args(argv)
    try:
        environments = [e for e in select(load_environments(), options.envs) if e.locked]
    except MatrixConfigError as exc:
        print(f"ci.lock: {exc}", file=sys.stderr)
        return 2
    if not options.check and shutil.which("uv") is None:
        print("ci.lock: needs uv on PATH (pip install uv)", file=sys.stderr)
        return 2
    failed = 0
    for env in environments:
        if options.check:
            current = is_current(env)
            failed += not current
            print(f"{env.name}: {'current' if current else 'missing or out of date'}")
            continue
        ok, message = compile_lock(env)
        failed += not ok
        print(f"{env.name}: {message}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
