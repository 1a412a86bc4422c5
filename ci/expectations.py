"""Known deviations per environment (ci/expectations/<environment>.toml), run as strict xfails.

Each [[deviation]] names a claim, the reason it does not hold here and a source. A listed claim
that starts to hold makes its test XPASS(strict), which fails the run: the file has to stay true.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXPECTATIONS_DIR = Path(__file__).resolve().parent / "expectations"


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Deviation:
    claim: str
    reason: str
    source: str
    cause: str = "other"  # groups deviations in the report: numpy2-promotion, keras3, logging, ...


def expectations_path(environment: str) -> Path:
    return EXPECTATIONS_DIR / f"{environment}.toml"


def load_expectations(path: Path, known_claims, _seen: tuple[Path, ...] = ()) -> dict[str, Deviation]:
    """Read one file; unknown claims, missing reasons or sources are errors, not silent no-ops.

    `extends = "<environment>"` at the top starts from that environment's file (same folder);
    this file's entries are added to it and replace entries for the same claim.
    """
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{path}: not valid TOML: {exc}") from exc
    inherited: dict[str, Deviation] = {}
    if "extends" in data:
        base = path.with_name(f"{data['extends']}.toml")
        if not base.is_file() or base.resolve() in _seen + (path.resolve(),):
            raise ExpectationsError(f"{path.name}: extends {data['extends']!r}, which is missing or circular")
        inherited = load_expectations(base, known_claims, _seen + (path.resolve(),))
    deviations: dict[str, Deviation] = {}
    for n, entry in enumerate(data.get("deviation", []), 1):
        where = f"{path.name}, deviation #{n} ({entry.get('claim', '?')})"
        unknown = set(entry) - {"claim", "reason", "source", "cause"}
        if unknown:
            raise ExpectationsError(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("claim", "reason", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ExpectationsError(f"{where}: '{key}' is required")
        if entry["claim"] not in known_claims:
            raise ExpectationsError(f"{where}: claim is not in the catalogue")
        if entry["claim"] in deviations:
            raise ExpectationsError(f"{where}: claim listed twice")
        deviations[entry["claim"]] = Deviation(**entry)
    return {**inherited, **deviations}
