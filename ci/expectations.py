"""The expectations catalogue: every known deviation, when it applies, and how it fails.

ci/expectations/causes.toml defines the broad causes (each once, with a one-line explanation in
English and Chinese); ci/expectations/ch*.toml list the deviations, by chapter:

    [[deviation]]
    claim = "linreg.numpy-loop-printed"  # or claims = [...]: several claims, one reason
    cause = "numpy2"                    # a cause of causes.toml
    when = { numpy = ">=2" }            # see ci.conditions; omitted: in every environment
    reason = "NumPy 2 adopted NEP 50 ..."
    source = "https://numpy.org/..."
    fails = { observed = { name = "printed", equals = "0.9591617 0.044228815" } }

`fails` is the failure signature, a table or an array of tables each with its own `when` (the first
that holds applies): `raises` (an exception type name: of the exception the test raised, or of
one it was raised from or while handling, so a test that catches the book's error to explain it
still fails with that error) with an optional `match` (a regular expression searched in their
messages), and/or `observed` (a value the test records with the
`measured` fixture before it asserts: `{ name, equals | matches | approx [, rel, abs] | below |
above }`; `raises` is then AssertionError unless given). A test of the claim that fails in another
way is a new deviation, not the known one. Every problem is an ExpectationsError naming the file and
the entry; the plugin turns it into a usage error.
"""
from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ci.conditions import ALWAYS, Condition, ConditionError, parse_condition

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXPECTATIONS_DIR = Path(__file__).resolve().parent / "expectations"
CAUSES_FILE = "causes.toml"
DEVIATION_KEYS = {"claim", "claims", "cause", "when", "reason", "reason_zh", "source", "fails", "fix", "notes"}
# `claims` instead of `claim`: one entry for several claims that deviate for one reason, under one
# condition, failing one way (it stands for one deviation per claim).
# `fix`: see _fix; `notes`: release notes that explain when it started, if the source does not.
SIGNATURE_KEYS = {"when", "raises", "match", "observed"}
COMPARISONS = ("equals", "matches", "approx", "below", "above")


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    title_zh: str
    explanation: str
    explanation_zh: str


@dataclass(frozen=True)
class Observation:
    """A measured value the failing test must have recorded, and how it is compared."""

    name: str
    comparison: str  # one of COMPARISONS
    value: object
    rel: float = 0.0
    abs: float = 0.0

    def describe(self) -> str:
        if self.comparison == "approx":
            return f"{self.name} ≈ {self.value!r} (rel {self.rel:g}, abs {self.abs:g})"
        symbol = {"equals": "==", "matches": "matches", "below": "<", "above": ">"}[self.comparison]
        return f"{self.name} {symbol} {self.value!r}"

    def holds(self, value) -> bool:
        if self.comparison == "equals":
            return value == self.value
        if self.comparison == "matches":
            return re.search(self.value, value if isinstance(value, str) else repr(value)) is not None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return False
        if self.comparison == "approx":
            return math.isclose(value, self.value, rel_tol=self.rel, abs_tol=self.abs)
        return value < self.value if self.comparison == "below" else value > self.value


@dataclass(frozen=True)
class Signature:
    """How a known deviation fails: the exception and/or the values observed."""

    raises: str
    match: str | None = None
    observed: tuple[Observation, ...] = ()
    when: Condition = ALWAYS

    def describe(self) -> str:
        parts = [self.raises + (f" matching /{self.match}/" if self.match else "")]
        parts += [o.describe() for o in self.observed]
        return "; ".join(parts)

    def mismatch(self, exception_types: list[str], message: str, measured: dict[str, object]) -> str | None:
        """None when a failure with these exceptions (type names of the raised exception first, then
        of those it was raised from or while handling), messages and measured values is this
        signature; otherwise what differs."""
        if self.raises not in exception_types:
            return f"raised {exception_types[0] if exception_types else 'nothing'}, not {self.raises}"
        if self.match is not None and re.search(self.match, message) is None:
            return f"the message does not match /{self.match}/"
        for observation in self.observed:
            if observation.name not in measured:
                return f"the test recorded no measured value {observation.name!r}"
            if not observation.holds(measured[observation.name]):
                return f"observed {observation.name} = {measured[observation.name]!r}, not {observation.describe()}"
        return None


@dataclass(frozen=True)
class Deviation:
    claim: str
    cause: str
    reason: str
    source: str
    file: str
    when: Condition = ALWAYS
    fails: tuple[Signature, ...] = ()
    fix: dict = field(default_factory=dict, hash=False, compare=False)
    notes: str | None = None  # release notes that explain when it started, if not the source
    reason_zh: str | None = None  # the reason in Chinese, for the errata

    def signature(self, facts: dict) -> Signature | None:
        return next((s for s in self.fails if s.when.holds(facts)), None)


@dataclass(frozen=True)
class Expectation:
    """A deviation as it applies in one environment: with the signature chosen for it."""

    deviation: Deviation
    signature: Signature

    @property
    def claim(self) -> str:
        return self.deviation.claim

    @property
    def reason(self) -> str:
        return self.deviation.reason

    @property
    def source(self) -> str:
        return self.deviation.source

    @property
    def cause(self) -> str:
        return self.deviation.cause


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{path.name}: not valid TOML: {exc}") from exc


def load_causes(folder: Path = EXPECTATIONS_DIR) -> dict[str, Cause]:
    path = folder / CAUSES_FILE
    if not path.is_file():
        raise ExpectationsError(f"{path}: the causes file is missing")
    causes = {}
    for n, entry in enumerate(_read(path).get("cause", []), 1):
        where = f"{path.name}, cause #{n} ({entry.get('id', '?')})"
        keys = {"id", "title", "title_zh", "explanation", "explanation_zh"}
        if set(entry) != keys or not all(isinstance(entry[k], str) and entry[k].strip() for k in keys):
            raise ExpectationsError(f"{where}: needs exactly {sorted(keys)}, each a non-empty string")
        if entry["id"] in causes:
            raise ExpectationsError(f"{where}: defined twice")
        causes[entry["id"]] = Cause(**entry)
    if not causes:
        raise ExpectationsError(f"{path.name}: defines no cause")
    return causes


def _observations(value, where: str) -> tuple[Observation, ...]:
    tables = value if isinstance(value, list) else [value]
    observations = []
    for table in tables:
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            raise ExpectationsError(f"{where}: `observed` needs a `name` (the measured value's name)")
        chosen = [c for c in COMPARISONS if c in table]
        unknown = set(table) - {"name", "rel", "abs", *COMPARISONS}
        if len(chosen) != 1 or unknown:
            raise ExpectationsError(f"{where}: `observed` takes a name and exactly one of {', '.join(COMPARISONS)}"
                                    f" (with rel/abs for approx); got {sorted(table)}")
        comparison = chosen[0]
        expected = table[comparison]
        if comparison == "matches":
            try:
                re.compile(expected)
            except (re.error, TypeError) as exc:
                raise ExpectationsError(f"{where}: `matches` is not a regular expression: {exc}") from exc
        if comparison in ("approx", "below", "above") and not isinstance(expected, (int, float)):
            raise ExpectationsError(f"{where}: `{comparison}` takes a number")
        if ("rel" in table or "abs" in table) and comparison != "approx":
            raise ExpectationsError(f"{where}: rel/abs only go with approx")
        if comparison == "approx" and "rel" not in table and "abs" not in table:
            raise ExpectationsError(f"{where}: approx needs a tolerance (rel and/or abs)")
        observations.append(Observation(table["name"], comparison, expected, float(table.get("rel", 0.0)),
                                        float(table.get("abs", 0.0))))
    return tuple(observations)


def _signatures(value, where: str) -> tuple[Signature, ...]:
    if value is None:
        raise ExpectationsError(f"{where}: `fails` is required: how the claim fails (raises/match, or observed)")
    tables = value if isinstance(value, list) else [value]
    signatures = []
    for n, table in enumerate(tables, 1):
        here = f"{where}, fails #{n}" if isinstance(value, list) else f"{where}, fails"
        if not isinstance(table, dict):
            raise ExpectationsError(f"{here}: a table with raises/match/observed")
        unknown = set(table) - SIGNATURE_KEYS
        if unknown:
            raise ExpectationsError(f"{here}: unknown keys {sorted(unknown)}")
        if "raises" not in table and "observed" not in table:
            raise ExpectationsError(f"{here}: needs `raises` (an exception type) or `observed` (a measured value)")
        raises = table.get("raises", "AssertionError")
        if not isinstance(raises, str) or not re.fullmatch(r"[A-Za-z_][\w.]*", raises):
            raise ExpectationsError(f"{here}: `raises` is an exception type name such as 'TypeError'")
        match = table.get("match")
        if match is not None:
            try:
                re.compile(match)
            except (re.error, TypeError) as exc:
                raise ExpectationsError(f"{here}: `match` is not a regular expression: {exc}") from exc
        try:
            when = parse_condition(table.get("when"), here)
        except ConditionError as exc:
            raise ExpectationsError(str(exc)) from exc
        observed = _observations(table["observed"], here) if "observed" in table else ()
        signatures.append(Signature(raises, match, observed, when))
    return tuple(signatures)


FIX_KEYS = ({"en", "zh"}, {"none", "none_zh"})


def _fix(value, where: str) -> dict:
    """The errata text of a deviation: what to write today (`en`, `zh`; the code is its fix test's),
    or why no fix can exist (`none`, `none_zh`); {} while nobody has written it."""
    if not isinstance(value, dict):
        raise ExpectationsError(f"{where}: `fix` is a table")
    if value and (set(value) not in FIX_KEYS or not all(isinstance(v, str) and v.strip() for v in value.values())):
        raise ExpectationsError(f"{where}: `fix` takes en and zh (what to write today), or none and none_zh (why no "
                                f"fix exists), each a non-empty string; got {sorted(value)}")
    return dict(value)


def load_catalogue(known_claims, folder: Path = EXPECTATIONS_DIR, causes: dict[str, Cause] | None = None
                   ) -> list[Deviation]:
    """Every deviation of the catalogue folder (ch*.toml, or one given file), validated; the causes
    come from the folder's causes.toml, or the project's where it has none."""
    if causes is None:
        home = folder if folder.is_dir() else folder.parent
        causes = load_causes(home if (home / CAUSES_FILE).is_file() else EXPECTATIONS_DIR)
    files = sorted(p for p in folder.glob("*.toml") if p.name != CAUSES_FILE) if folder.is_dir() else [folder]
    if not files:
        raise ExpectationsError(f"{folder}: holds no deviation files")
    deviations = []
    for path in files:
        data = _read(path)
        unknown_top = set(data) - {"deviation"}
        if unknown_top:
            raise ExpectationsError(f"{path.name}: unknown top-level keys {sorted(unknown_top)}")
        for n, entry in enumerate(data.get("deviation", []), 1):
            where = f"{path.name}, deviation #{n} ({entry.get('claim', entry.get('claims', '?'))})"
            unknown = set(entry) - DEVIATION_KEYS
            if unknown:
                raise ExpectationsError(f"{where}: unknown keys {sorted(unknown)}")
            if ("claim" in entry) == ("claims" in entry):
                raise ExpectationsError(f"{where}: give either 'claim' (one id) or 'claims' (a list of ids)")
            ids = entry["claims"] if "claims" in entry else [entry.get("claim")]
            if not isinstance(ids, list) or not ids or len(set(map(str, ids))) != len(ids) or not all(
                    isinstance(i, str) and i.strip() for i in ids):
                raise ExpectationsError(f"{where}: 'claims' is a non-empty list of distinct claim ids")
            for key in ("cause", "reason", "source"):
                if not isinstance(entry.get(key), str) or not entry[key].strip():
                    raise ExpectationsError(f"{where}: '{key}' is required")
            for claim_id in ids:
                if claim_id not in known_claims:
                    raise ExpectationsError(f"{where}: claim {claim_id} is not in the catalogue")
            if entry["cause"] not in causes:
                raise ExpectationsError(f"{where}: unknown cause {entry['cause']!r} (causes.toml defines "
                                        f"{', '.join(sorted(causes))})")
            try:
                when = parse_condition(entry.get("when"), where)
            except ConditionError as exc:
                raise ExpectationsError(str(exc)) from exc
            fix = _fix(entry.get("fix", {}), where)
            if "reason_zh" in entry and (not isinstance(entry["reason_zh"], str) or not entry["reason_zh"].strip()):
                raise ExpectationsError(f"{where}: 'reason_zh' is the reason in Chinese, a non-empty string")
            fails = _signatures(entry.get("fails"), where)
            for claim_id in ids:
                deviations.append(Deviation(claim_id, entry["cause"], entry["reason"], entry["source"], path.name,
                                            when, fails, fix, entry.get("notes"), entry.get("reason_zh")))
    return deviations


def expectations_for(deviations: list[Deviation], facts: dict) -> dict[str, Expectation]:
    """The deviations that apply to an environment with these facts, with their signatures."""
    chosen: dict[str, Expectation] = {}
    for deviation in deviations:
        if not deviation.when.holds(facts):
            continue
        where = f"{deviation.file} ({deviation.claim})"
        if deviation.claim in chosen:
            other = chosen[deviation.claim].deviation
            raise ExpectationsError(f"{where}: two deviations apply here ({other.when} and {deviation.when})")
        signature = deviation.signature(facts)
        if signature is None:
            raise ExpectationsError(f"{where}: applies here ({deviation.when}) but none of its `fails` conditions does")
        chosen[deviation.claim] = Expectation(deviation, signature)
    return chosen


def matrix_problems(deviations: list[Deviation], environments: dict[str, dict]) -> list[str]:
    """Conditions that no environment of the matrix satisfies, and environments in which a claim gets
    two deviations or none of a deviation's signatures: one line each."""
    problems = []
    for deviation in deviations:
        where = f"{deviation.file} ({deviation.claim})"
        applies = [name for name, facts in environments.items() if deviation.when.holds(facts)]
        if not applies:
            problems.append(f"{where}: when = {deviation.when} holds in no environment of the matrix")
            continue
        for n, signature in enumerate(deviation.fails, 1):
            if signature.when is not ALWAYS and not any(signature.when.holds(environments[e]) for e in applies):
                problems.append(f"{where}: fails #{n} when = {signature.when} holds in no environment "
                                "where the deviation applies")
    for name, facts in environments.items():
        try:
            expectations_for(deviations, facts)
        except ExpectationsError as exc:
            problems.append(f"environment {name}: {exc}")
    return problems
