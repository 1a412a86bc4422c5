"""The conformance matrix: the suite in several TensorFlow/Keras environments, one report.

    python -m ci.matrix [--envs NAME,...] [--venv-root DIR] [--out DIR] [--installer pip|uv]
                        [--rebuild] [--prepare-only] [--data-dir DIR] [--tier fast|slow|all] [-- PYTEST ARGS...]

For each environment of ci/matrix_environments.toml: create its venv under --venv-root (or reuse it
when pyproject.toml, its extras and its constraints are unchanged since it was built), install the
checkout as the README says (`pip install ".[extras]"`, pinned by ci/constraints/<name>.txt),
check that ci.environment detects the intended name there, run
`python -m pytest -n auto --tier=... --data-dir=... --conformance-report=OUT/<name>.json`, then
merge the reports into OUT/matrix.json and render OUT/matrix.md and OUT/matrix.html.

Exit status 0 only when every environment installed, was the environment it claims to be, and its
pytest run passed (deviations listed in its expectations file are strict xfails, so they pass).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ci.matrix_report import merge_reports
from ci.render_report import write_renderings
from ci.suite_runs import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENVIRONMENTS_FILE = ROOT / "ci" / "matrix_environments.toml"
CONSTRAINTS_DIR = ROOT / "ci" / "constraints"
STAMP = ".handbook-spec-stamp"


@dataclass(frozen=True)
class MatrixEnvironment:
    name: str
    description: str
    extras: tuple[str, ...]
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def constraints(self) -> Path | None:
        path = CONSTRAINTS_DIR / f"{self.name}.txt"
        return path if path.is_file() else None

    def requirement(self) -> str:
        return f".[{','.join(self.extras)}]" if self.extras else "."

    def stamp(self) -> str:
        """Changes whenever what would be installed could change."""
        digest = hashlib.sha256()
        digest.update((ROOT / "pyproject.toml").read_bytes())
        digest.update(self.requirement().encode())
        if self.constraints:
            digest.update(self.constraints.read_bytes())
        return digest.hexdigest()


def load_environments(path: Path = ENVIRONMENTS_FILE) -> list[MatrixEnvironment]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    envs = []
    for entry in data.get("environment", []):
        unknown = set(entry) - {"name", "description", "extras", "variables"}
        if unknown:
            raise ValueError(f"{path.name}: environment {entry.get('name')!r} has unknown keys {sorted(unknown)}")
        envs.append(MatrixEnvironment(entry["name"], entry.get("description", ""), tuple(entry.get("extras", [])),
                                      dict(entry.get("variables", {}))))
    if not envs or len({e.name for e in envs}) != len(envs):
        raise ValueError(f"{path.name}: needs at least one environment and unique names")
    return envs


def install_command(env: MatrixEnvironment, python: Path, installer: str) -> list[str]:
    """The README's install command for this venv, with the environment's constraints."""
    if installer == "uv":
        command = ["uv", "pip", "install", "--python", str(python), env.requirement()]
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", env.requirement()]
    if env.constraints:
        command += ["-c", str(env.constraints)]
    return command


def pytest_command(python: Path, report: Path, tier: str, data_dir: Path | None, extra: list[str]) -> list[str]:
    command = [str(python), "-m", "pytest", "-n", "auto", f"--tier={tier}", f"--conformance-report={report}", "-q"]
    if data_dir is not None:
        command.append(f"--data-dir={data_dir}")
    return command + extra


def child_environ(env: MatrixEnvironment) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "TF_USE_LEGACY_KERAS")}
    environ.update(env.variables)
    return environ


def log(message: str) -> None:
    print(f"[matrix] {message}", flush=True)


def prepare_venv(env: MatrixEnvironment, root: Path, installer: str, rebuild: bool) -> tuple[Path, str | None]:
    """(python of the venv, problem or None)."""
    venv = root / env.name
    python = venv / "bin" / "python"
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    stamp_file = venv / STAMP
    if python.exists() and stamp_file.is_file() and stamp_file.read_text() == env.stamp():
        log(f"{env.name}: reusing {venv} (pyproject, extras and constraints unchanged)")
        return python, None
    if not python.exists():
        log(f"{env.name}: creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    command = install_command(env, python, installer)
    log(f"{env.name}: {' '.join(command)}")
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=child_environ(env))
    if done.returncode != 0:
        return python, f"install failed with exit status {done.returncode}"
    log(f"{env.name}: installed in {time.monotonic() - started:.0f} s")
    stamp_file.write_text(env.stamp())
    return python, None


def detected_name(env: MatrixEnvironment, python: Path) -> str:
    done = subprocess.run([str(python), "-c", "from ci.environment import environment_name; print(environment_name())"],
                          cwd=ROOT, env=child_environ(env), capture_output=True, text=True)
    return done.stdout.strip() or f"<detection failed: {done.stderr.strip()[-300:]}>"


def ready_venv(env: MatrixEnvironment, options) -> tuple[Path, str | None]:
    """Build or reuse the venv and check it is the environment it claims to be: (python, problem)."""
    python, problem = prepare_venv(env, options.venv_root, options.installer, options.rebuild)
    if problem is None and (name := detected_name(env, python)) != env.name:
        problem = f"the venv is {name}, not {env.name}: fix ci/constraints/{env.name}.txt or the extras"
    return python, problem


def run_environment(env, options, out: Path) -> dict:
    """Install, check and test one environment; a summary of what happened."""
    outcome = {"name": env.name, "description": env.description, "report": None, "problem": None}
    python, problem = ready_venv(env, options)
    if problem is not None:
        outcome["problem"] = problem
        log(f"{env.name}: {problem}")
        return outcome
    report = out / f"{env.name}.json"
    report.unlink(missing_ok=True)
    command = pytest_command(python, report, options.tier, options.data_dir, options.pytest_args)
    log(f"{env.name}: {' '.join(command)}")
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=child_environ(env))
    outcome["seconds"] = round(time.monotonic() - started, 1)
    outcome["pytest_exit_status"] = done.returncode
    log(f"{env.name}: pytest exit status {done.returncode} in {outcome['seconds']} s")
    if report.is_file():
        outcome["report"] = str(report)
    else:
        outcome["problem"] = "pytest wrote no conformance report"
    if done.returncode != 0 and outcome["problem"] is None:
        outcome["problem"] = f"pytest exit status {done.returncode}"
    return outcome


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", default="", help="comma-separated environment names (default: all)")
    parser.add_argument("--venv-root", type=Path, default=ROOT / ".venvs")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "matrix")
    parser.add_argument("--installer", choices=("pip", "uv"), default="pip")
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild the venvs")
    parser.add_argument("--prepare-only", action="store_true",
                        help="build (or check) the venvs and stop: no test run, no report")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="offline data folder passed to pytest (default: $HANDBOOK_SPEC_DATA if set)")
    parser.add_argument("--tier", choices=("fast", "slow", "all"), default="fast")
    parser.add_argument("--benchmarks", type=Path, default=None,
                        help="a benchmark summary JSON to show in the report's performance section")
    options = parser.parse_args(argv)
    options.pytest_args = pytest_args
    if options.data_dir is None and os.environ.get("HANDBOOK_SPEC_DATA"):
        options.data_dir = Path(os.environ["HANDBOOK_SPEC_DATA"])
    options.venv_root = options.venv_root.resolve()
    if options.installer == "uv" and shutil.which("uv") is None:
        parser.error("--installer uv: no uv on PATH (pip install uv)")
    environments = load_environments()
    if options.envs:
        wanted = options.envs.split(",")
        unknown = sorted(set(wanted) - {e.name for e in environments})
        if unknown:
            parser.error(f"unknown environments {unknown}; known: {[e.name for e in environments]}")
        environments = [e for e in environments if e.name in wanted]
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    options.venv_root.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    if options.prepare_only:
        problems = []
        for env in environments:
            _, problem = ready_venv(env, options)
            log(f"{env.name}: {problem or 'ready'}")
            problems += [problem] if problem else []
        return 1 if problems else 0
    outcomes = [run_environment(env, options, out) for env in environments]
    reports = [json.loads(Path(o["report"]).read_text(encoding="utf-8")) for o in outcomes if o["report"]]
    matrix = merge_reports(reports, runs=outcomes)
    if options.benchmarks:
        matrix["benchmarks"] = json.loads(options.benchmarks.read_text(encoding="utf-8"))
    (out / "matrix.json").write_text(json.dumps(matrix, indent=1, ensure_ascii=False), encoding="utf-8")
    written = write_renderings(matrix, out / "matrix.md", out / "matrix.html")
    log(f"{len(environments)} environments in {time.monotonic() - started:.0f} s; wrote {out / 'matrix.json'}, "
        + ", ".join(str(p) for p in written))
    failed = [o for o in outcomes if o["problem"]]
    for o in failed:
        log(f"FAILED {o['name']}: {o['problem']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
