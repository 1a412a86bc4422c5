"""The conformance matrix: the suite in every environment of ci/matrix_environments.toml, one report.

    python -m ci.matrix [--envs GLOB,...] [--jobs N] [--venv-root DIR] [--out DIR] [--installer pip|uv]
                        [--rebuild] [--prepare-only] [--list] [--data-dir DIR] [--tier fast|slow|all|book]
                        [-- PYTEST ARGS...]

For each selected environment: create its venv under --venv-root (or reuse it while pyproject.toml,
its extras, requirements and lock file are unchanged), install the checkout as the README says
(`pip install ".[extras]"` plus the environment's requirements, constrained by ci/locks/<name>.txt),
check that ci.environment detects the intended name there, and run
`python -m pytest -n N --tier=... --data-dir=... --conformance-report=OUT/<name>.json`. Then merge the
reports into OUT/matrix.json (with the since-table: per deviation, the first release where it
appears and the last where the claim holds, checked against the catalogue's conditions) and render
OUT/matrix.md and OUT/matrix.html.

`--envs` takes names or globs (`'tf2.1[89]-*'`), or `push` for the set CI runs on every push.
`--jobs` runs that many environments side by side, splitting the cores between them (default: one
environment per two cores).

Exit status 0 when every environment that may not fail installed, was what it claims to be, and
passed, and the since-table agrees with the catalogue; 1 otherwise; 2 on bad options.
Environments with `allowed_to_fail` (`next`) are reported but never change the exit status.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ci.matrix_config import ROOT, MatrixConfigError, MatrixEnvironment, load_environments, select

STAMP = ".handbook-spec-stamp"
# The JavaScript side of the `tfjs` extra: npm's @tensorflow/tfjs, installed next to the venv before
# the run (tests never download) and named to pytest by this variable.
TFJS_PACKAGE = "@tensorflow/tfjs@4.22.0"
TFJS_VARIABLE = "HANDBOOK_SPEC_TFJS_NODE_MODULES"


def node_folder(env: MatrixEnvironment, venv_root: Path) -> Path | None:
    """Where the environment's npm packages live, if its extras need any."""
    return venv_root / env.name / "node" if "tfjs" in env.extras else None


def prepare_node(env: MatrixEnvironment, venv_root: Path, log_file: Path | None) -> str | None:
    """npm install the tfjs package for an environment with the `tfjs` extra; a problem or None."""
    folder = node_folder(env, venv_root)
    if folder is None:
        return None
    installed = folder / "node_modules" / "@tensorflow" / "tfjs" / "package.json"
    if installed.is_file() and json.loads(installed.read_text(encoding="utf-8")).get("version") == TFJS_PACKAGE.rsplit("@", 1)[1]:
        return None
    if shutil.which("npm") is None:
        return f"the tfjs extra needs npm (Node.js) to install {TFJS_PACKAGE}"
    folder.mkdir(parents=True, exist_ok=True)
    status = _run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", TFJS_PACKAGE], env, log_file)
    return None if status == 0 else f"npm install {TFJS_PACKAGE} failed with exit status {status}"


def install_command(env: MatrixEnvironment, python: Path, installer: str) -> list[str]:
    """The README's install command for this venv, with the environment's pins and lock."""
    if installer == "uv":
        command = ["uv", "pip", "install", "--python", str(python), env.requirement(), *env.requirements]
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", env.requirement(), *env.requirements]
    if env.locked:
        command += ["-c", str(env.lock)]
    return command


def pytest_command(python: Path, report: Path, tier: str, workers: str, data_dir: Path | None,
                   extra: list[str]) -> list[str]:
    command = [str(python), "-m", "pytest", "-n", workers, f"--tier={tier}", f"--conformance-report={report}", "-q"]
    if data_dir is not None:
        command.append(f"--data-dir={data_dir}")
    return command + extra


def child_environ(env: MatrixEnvironment, venv_root: Path | None = None) -> dict[str, str]:
    # Variables that belong to one environment never leak from ours into another's (the matrix may
    # itself run inside an environment's pytest, as its harness tests do).
    environ = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "TF_USE_LEGACY_KERAS", TFJS_VARIABLE)}
    environ.update(env.variables)
    folder = node_folder(env, venv_root) if venv_root is not None else None
    if folder is not None:
        environ[TFJS_VARIABLE] = str(folder)
    return environ


def log(message: str) -> None:
    print(f"[matrix] {message}", flush=True)


def _run(command: list[str], env: MatrixEnvironment, log_file: Path | None, venv_root: Path | None = None) -> int:
    environ = child_environ(env, venv_root)
    if log_file is None:
        return subprocess.run(command, cwd=ROOT, env=environ).returncode
    with log_file.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(command)}\n")
        fh.flush()
        return subprocess.run(command, cwd=ROOT, env=environ, stdout=fh, stderr=subprocess.STDOUT).returncode


def prepare_venv(env: MatrixEnvironment, root: Path, installer: str, rebuild: bool,
                 log_file: Path | None = None) -> tuple[Path, str | None]:
    """(python of the venv, problem or None)."""
    venv = root / env.name
    python = venv / "bin" / "python"
    if env.locked and not env.lock.is_file():
        return python, f"no lock file {env.lock.relative_to(ROOT)}: run python -m ci.lock --envs={env.name}"
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    stamp_file = venv / STAMP
    if python.exists() and stamp_file.is_file() and stamp_file.read_text() == env.stamp():
        log(f"{env.name}: reusing {venv} (pyproject, extras, requirements and lock unchanged)")
        return python, prepare_node(env, root, log_file)
    if not python.exists():
        log(f"{env.name}: creating {venv} (Python {env.python})")
        make = (["uv", "venv", "--quiet", "--python", env.python, str(venv)] if installer == "uv"
                else [sys.executable, "-m", "venv", str(venv)])
        if _run(make, env, log_file) != 0:
            return python, "could not create the venv"
    started = time.monotonic()
    command = install_command(env, python, installer)
    log(f"{env.name}: {' '.join(command)}")
    status = _run(command, env, log_file)
    if status != 0:
        return python, f"install failed with exit status {status}"
    log(f"{env.name}: installed in {time.monotonic() - started:.0f} s")
    problem = prepare_node(env, root, log_file)
    if problem is not None:
        return python, problem
    stamp_file.write_text(env.stamp())
    return python, None


def detected_name(env: MatrixEnvironment, python: Path) -> str:
    done = subprocess.run([str(python), "-c", "from ci.environment import environment_name; print(environment_name())"],
                          cwd=ROOT, env=child_environ(env), capture_output=True, text=True)
    return done.stdout.strip() or f"<detection failed: {done.stderr.strip()[-300:]}>"


def ready_venv(env: MatrixEnvironment, options, log_file: Path | None = None) -> tuple[Path, str | None]:
    """Build or reuse the venv and check it is the environment it claims to be: (python, problem)."""
    python, problem = prepare_venv(env, options.venv_root, options.installer, options.rebuild, log_file)
    if problem is None and not env.detected_ok(name := detected_name(env, python)):
        problem = f"the venv is {name}, not {env.detects or env.name}: fix the requirements or ci/locks/{env.name}.txt"
    return python, problem


def run_environment(env: MatrixEnvironment, options, out: Path) -> dict:
    """Install, check and test one environment; a summary of what happened."""
    outcome = {"name": env.name, "release": env.release, "description": env.description, "report": None,
               "problem": None, "allowed_to_fail": env.allowed_to_fail}
    log_file = out / f"{env.name}.log" if options.jobs > 1 else None
    if log_file is not None:
        log_file.unlink(missing_ok=True)
    started = time.monotonic()
    python, problem = ready_venv(env, options, log_file)
    outcome["install_seconds"] = round(time.monotonic() - started, 1)
    if problem is not None:
        outcome["problem"] = problem
        log(f"{env.name}: {problem}")
        return outcome
    report = out / f"{env.name}.json"
    report.unlink(missing_ok=True)
    command = pytest_command(python, report, options.tier, options.workers, options.data_dir, options.pytest_args)
    log(f"{env.name}: {' '.join(command)}")
    started = time.monotonic()
    status = _run(command, env, log_file, options.venv_root)
    outcome["seconds"] = round(time.monotonic() - started, 1)
    outcome["pytest_exit_status"] = status
    log(f"{env.name}: pytest exit status {status} in {outcome['seconds']} s")
    if report.is_file():
        outcome["report"] = str(report)
    else:
        outcome["problem"] = "pytest wrote no conformance report"
    if status != 0 and outcome["problem"] is None:
        outcome["problem"] = f"pytest exit status {status}"
    return outcome


def parse_options(argv: list[str]) -> argparse.Namespace:
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m ci.matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", default="", help="comma-separated names or globs, or 'push' (default: all)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="environments run side by side (default: one per two cores)")
    parser.add_argument("--venv-root", type=Path, default=ROOT / ".venvs")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "matrix")
    parser.add_argument("--installer", choices=("pip", "uv"), default="pip")
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild the venvs")
    parser.add_argument("--prepare-only", action="store_true",
                        help="build (or check) the venvs and stop: no test run, no report")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="offline data folder passed to pytest (default: $HANDBOOK_SPEC_DATA if set)")
    parser.add_argument("--tier", choices=("fast", "slow", "all", "book"), default="fast")
    parser.add_argument("--list", action="store_true",
                        help="print the selected environments as JSON (name, release, allowed_to_fail) and stop: "
                             "what the GitHub workflow's jobs are made from")
    parser.add_argument("--benchmarks", type=Path, default=None,
                        help="a benchmark summary JSON to show in the report's performance section")
    options = parser.parse_args(argv)
    options.pytest_args = pytest_args
    if options.jobs is not None and options.jobs < 1:
        parser.error("--jobs must be at least 1")
    if options.data_dir is None and os.environ.get("HANDBOOK_SPEC_DATA"):
        options.data_dir = Path(os.environ["HANDBOOK_SPEC_DATA"])
    if options.installer == "uv" and shutil.which("uv") is None:
        parser.error("--installer uv: no uv on PATH (pip install uv)")
    try:
        options.environments = select(load_environments(), options.envs)
    except MatrixConfigError as exc:
        parser.error(str(exc))
    cores = os.cpu_count() or 1
    options.jobs = min(options.jobs or max(1, cores // 2), len(options.environments))
    options.workers = str(max(1, cores // options.jobs)) if options.jobs > 1 else "auto"
    options.venv_root = options.venv_root.resolve()
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(list(sys.argv[1:] if argv is None else argv))
    environments = options.environments
    if options.list:
        print(json.dumps([{"name": e.name, "release": e.release, "allowed_to_fail": e.allowed_to_fail}
                          for e in environments]))
        return 0
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    options.venv_root.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
        if options.prepare_only:
            results = list(pool.map(lambda env: (env, ready_venv(env, options)[1]), environments))
            for env, problem in results:
                log(f"{env.name}: {problem or 'ready'}")
            return 1 if any(problem and not env.allowed_to_fail for env, problem in results) else 0
        outcomes = list(pool.map(lambda env: run_environment(env, options, out), environments))

    from ci.matrix_report import merge_reports
    from ci.render_report import write_renderings
    from ci.since import since_problems

    reports = [json.loads(Path(o["report"]).read_text(encoding="utf-8")) for o in outcomes if o["report"]]
    matrix = merge_reports(reports, runs=outcomes)
    if options.benchmarks:
        matrix["benchmarks"] = json.loads(options.benchmarks.read_text(encoding="utf-8"))
    (out / "matrix.json").write_text(json.dumps(matrix, indent=1, ensure_ascii=False), encoding="utf-8")
    written = write_renderings(matrix, out / "matrix.md", out / "matrix.html")
    log(f"{len(environments)} environments in {time.monotonic() - started:.0f} s; wrote {out / 'matrix.json'}, "
        + ", ".join(str(p) for p in written))
    failed = [o for o in outcomes if o["problem"] and not o["allowed_to_fail"]]
    for o in outcomes:
        if o["problem"]:
            log(f"{'FAILED' if not o['allowed_to_fail'] else 'failed (allowed)'} {o['name']}: {o['problem']}")
    problems = since_problems(matrix)
    for problem in problems:
        log(f"FAILED since-table: {problem}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
