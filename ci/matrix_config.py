"""The environments of the conformance matrix (ci/matrix_environments.toml) and their lock files.

Pure: reads TOML and lock files, imports nothing heavy, so the expectations plugin can check the
catalogue's conditions against every environment of the matrix at the start of each run.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ci.conditions import facts_from_versions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_FILE = ROOT / "ci" / "matrix_environments.toml"
LOCKS_DIR = ROOT / "ci" / "locks"
_KEYS = {"name", "release", "description", "extras", "requirements", "holdbacks", "variables", "push", "detects",
         "locked", "allowed_to_fail", "python"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


class MatrixConfigError(ValueError):
    pass


def dependency_digest() -> str:
    """What pyproject.toml asks to install (dependencies and extras), so that editing the pytest
    configuration rebuilds no venv and stales no lock."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    wanted = {"dependencies": project.get("dependencies", []),
              "optional-dependencies": project.get("optional-dependencies", {}),
              "requires-python": project.get("requires-python")}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class MatrixEnvironment:
    name: str
    release: str  # the TensorFlow release it stands for in the since-table: "2.12" ... "2.21", "next"
    description: str
    python: str
    extras: tuple[str, ...]
    requirements: tuple[str, ...] = ()
    holdbacks: tuple[str, ...] = ()  # constraint lines, resolved from [holdbacks]
    variables: dict[str, str] = field(default_factory=dict)
    push: bool = False
    detects: str = ""  # a glob for the detected name; empty: exactly `name`
    locked: bool = True
    allowed_to_fail: bool = False

    @property
    def lock(self) -> Path:
        return LOCKS_DIR / f"{self.name}.txt"

    def requirement(self) -> str:
        return f".[{','.join(self.extras)}]" if self.extras else "."

    def detected_ok(self, detected: str) -> bool:
        return fnmatch.fnmatchcase(detected, self.detects or self.name)

    def stamp(self) -> str:
        """Changes whenever what would be installed could change."""
        digest = hashlib.sha256(dependency_digest().encode())
        digest.update("\n".join((self.requirement(), *self.requirements, *self.holdbacks)).encode())
        if self.locked and self.lock.is_file():
            digest.update(self.lock.read_bytes())
        return digest.hexdigest()

    def locked_versions(self) -> dict[str, str] | None:
        """name -> version from the lock file; None without one."""
        if not self.locked or not self.lock.is_file():
            return None
        versions = {}
        for line in self.lock.read_text(encoding="utf-8").splitlines():
            if match := _PIN.match(line.strip()):
                versions[match.group(1).lower().replace("_", "-")] = match.group(2)
        return versions

    def facts(self) -> dict | None:
        """The facts the expectations' conditions see in this environment, from its lock; None without one."""
        versions = self.locked_versions()
        if versions is None:
            return None
        legacy = self.variables.get("TF_USE_LEGACY_KERAS", "").lower() in {"1", "true", "yes"}
        return facts_from_versions(versions, legacy_keras=legacy, python=self.python, platform_name="linux")


def load_environments(path: Path = ENVIRONMENTS_FILE) -> list[MatrixEnvironment]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MatrixConfigError(f"{path.name}: {exc}") from exc
    defaults = data.get("defaults", {})
    holdbacks = data.get("holdbacks", {})
    envs = []
    for entry in data.get("environment", []):
        unknown = set(entry) - _KEYS
        if unknown:
            raise MatrixConfigError(f"{path.name}: environment {entry.get('name')!r} has unknown keys {sorted(unknown)}")
        for key in ("name", "release"):
            if not entry.get(key):
                raise MatrixConfigError(f"{path.name}: an environment needs a {key!r}")
        chosen = list(dict.fromkeys(defaults.get("holdbacks", []) + entry.get("holdbacks", [])))
        missing = [h for h in chosen if h not in holdbacks]
        if missing:
            raise MatrixConfigError(f"{path.name}: environment {entry['name']!r}: unknown holdbacks {missing}")
        envs.append(MatrixEnvironment(
            name=entry["name"], release=entry["release"], description=entry.get("description", ""),
            python=entry.get("python", defaults.get("python", "3.11")),
            extras=tuple(entry.get("extras", defaults.get("extras", []))),
            requirements=tuple(entry.get("requirements", [])),
            holdbacks=tuple(line for h in chosen for line in holdbacks[h]),
            variables=dict(entry.get("variables", {})), push=bool(entry.get("push", False)),
            detects=entry.get("detects", ""), locked=bool(entry.get("locked", True)),
            allowed_to_fail=bool(entry.get("allowed_to_fail", False)),
        ))
    if not envs or len({e.name for e in envs}) != len(envs):
        raise MatrixConfigError(f"{path.name}: needs at least one environment and unique names")
    return envs


def select(environments: list[MatrixEnvironment], patterns: str) -> list[MatrixEnvironment]:
    """The environments matching any comma-separated glob (`tf2.1[89]-*`, `push` for the push set);
    a pattern that matches nothing is an error."""
    if not patterns:
        return environments
    chosen: set[str] = set()
    for pattern in (p.strip() for p in patterns.split(",") if p.strip()):
        hits = [e.name for e in environments if (e.push if pattern == "push" else fnmatch.fnmatchcase(e.name, pattern))]
        if not hits:
            raise MatrixConfigError(f"--envs: {pattern!r} matches no environment; known: "
                                    + ", ".join(e.name for e in environments))
        chosen.update(hits)
    return [e for e in environments if e.name in chosen]


def release_order(environments: list[MatrixEnvironment]) -> list[str]:
    """The releases in order: numeric ones ascending, `next` last."""
    def key(release: str):
        parts = release.split(".")
        return (0, tuple(int(p) for p in parts)) if all(p.isdigit() for p in parts) else (1, (release,))
    return sorted({e.release for e in environments}, key=key)


def matrix_facts(path: Path = ENVIRONMENTS_FILE) -> dict[str, dict]:
    """environment name -> facts, for every locked environment of the matrix."""
    return {e.name: facts for e in load_environments(path) if (facts := e.facts()) is not None}
