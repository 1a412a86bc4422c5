"""What the conformance page and its Markdown show, computed from a matrix (ci.matrix_report): the
environments in release order, the sections in the book's order with their counts, what needs
attention, the drift grouped by the causes of causes.toml, the since-table, measured values next to
the book's, the series worth plotting, and the changes since a baseline.

Pure: no TensorFlow, no I/O beyond the catalogues (claims, expectations, matrix environments).
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field

from ci import sections as book_sections
from ci.matrix_report import ABSENT, DEVIATING

STATUSES = ("holds", "deviates-known", "deviates-new", "error", "not-run")
ALL_STATUSES = STATUSES + (ABSENT,)
LABEL = {"holds": "holds", "deviates-known": "deviates (known)", "deviates-new": "DEVIATES (new)",
         "error": "ERROR", "not-run": "not run", ABSENT: "absent"}
SHORT = {"holds": "holds", "deviates-known": "known", "deviates-new": "NEW", "error": "ERROR",
         "not-run": "not run", ABSENT: "absent"}
NOT_RUN_CAUSE_LABEL = {
    "untestable": "untestable", "network": "needs network", "gpu": "needs a GPU", "slow-tier": "slow tier",
    "book-tier": "book tier", "tier": "tier not selected", "missing-data": "missing data",
    "devices": "device not selected", "missing-package": "missing package", "stopped": "session stopped early",
    "deselected": "deselected", "other": "other",
}


# ------------------------------------------------------------------------------------ environments

@dataclass
class Env:
    name: str
    label: str          # short: the name without its release prefix (keras3-np2, tf-keras-np1, cpu-keras3-np2)
    release: str
    entry: dict = field(repr=False)

    @property
    def fingerprint(self) -> dict:
        return self.entry.get("fingerprint") or {}

    @property
    def options(self) -> dict:
        return self.entry.get("options") or {}


def _configured() -> tuple[dict[str, str], list[str], list[str]]:
    """(name -> release, release order, environment order) from ci/matrix_environments.toml."""
    try:
        from ci.matrix_config import load_environments, release_order

        environments = load_environments()
        return {e.name: e.release for e in environments}, release_order(environments), [e.name for e in environments]
    except Exception:  # noqa: BLE001 - the page renders without the matrix configuration
        return {}, [], []


def _release_key(release: str, order: list[str]):
    if release in order:
        return (0, order.index(release), "")
    parts = release.split(".")
    if all(p.isdigit() for p in parts):
        return (1, tuple(int(p) for p in parts), "")
    return (2, (), release)


def release_of(entry: dict, configured: dict[str, str]) -> str:
    if entry.get("release"):
        return entry["release"]
    if entry["name"] in configured:
        return configured[entry["name"]]
    version = (entry.get("fingerprint") or {}).get("tensorflow") or ""
    match = re.match(r"(\d+)\.(\d+)", version)
    return f"{match.group(1)}.{match.group(2)}" if match else "?"


def short_label(name: str, release: str) -> str:
    for prefix in (f"tf{release}-", f"tf-cpu{release}-", f"tf-nightly{release}-"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            return ("cpu-" + rest) if prefix.startswith("tf-cpu") else ("nightly-" + rest if "nightly" in prefix else rest)
    return name


def environments(matrix: dict) -> list[Env]:
    """The matrix's environments in release order (then the matrix file's order)."""
    configured, order, names = _configured()
    envs = []
    for n, entry in enumerate(matrix["environments"]):
        release = release_of(entry, configured)
        envs.append((n, Env(entry["name"], short_label(entry["name"], release), release, entry)))
    envs.sort(key=lambda pair: (_release_key(pair[1].release, order),
                                names.index(pair[1].name) if pair[1].name in names else len(names), pair[0]))
    return [env for _, env in envs]


def releases(envs: list[Env]) -> list[tuple[str, list[Env]]]:
    groups: dict[str, list[Env]] = {}
    for env in envs:
        groups.setdefault(env.release, []).append(env)
    return list(groups.items())


# ---------------------------------------------------------------------------------------- sections

def sections_in_book_order(matrix: dict) -> list[str]:
    return book_sections.section_order(c["section"] for c in matrix["claims"])


def claims_by_section(matrix: dict) -> list[tuple[str, list[dict]]]:
    """(section, its claims in the matrix's order) in the book's order."""
    order = sections_in_book_order(matrix)
    groups: dict[str, list[dict]] = {s: [] for s in order}
    for claim in matrix["claims"]:
        groups[claim["section"]].append(claim)
    return list(groups.items())


def counts(claims: list[dict], env: str) -> dict[str, int]:
    tally = {s: 0 for s in ALL_STATUSES}
    for claim in claims:
        tally[claim["results"][env]["status"]] = tally.get(claim["results"][env]["status"], 0) + 1
    return tally


def section_anchor(section: str) -> str:
    """A stable, ASCII id for a section (its position in the sorted unique list is not stable)."""
    import hashlib

    return "sec-" + hashlib.sha1(section.encode("utf-8")).hexdigest()[:10]


@dataclass
class OutlineRow:
    kind: str           # "chapter", "group" (a heading with sub-sections) or "section" (has claims)
    section: str        # the full section string (for a group/chapter: its prefix)
    title: str          # the part shown (the book's heading)
    depth: int
    claims: list[dict]
    anchor: str


def outline(matrix: dict) -> list[OutlineRow]:
    """Chapters, their sub-sections and sub-sub-sections in the book's order; a chapter or group row
    counts every claim below it."""
    rows: list[OutlineRow] = []
    seen: dict[str, OutlineRow] = {}
    for section, claims in claims_by_section(matrix):
        parts = book_sections.split(section)
        for depth in range(len(parts)):
            prefix = book_sections.SEPARATOR.join(parts[:depth + 1])
            is_leaf = depth == len(parts) - 1
            if prefix not in seen:
                kind = "chapter" if depth == 0 else ("section" if is_leaf else "group")
                seen[prefix] = OutlineRow(kind, prefix, parts[depth], depth, [], section_anchor(prefix))
                rows.append(seen[prefix])
            seen[prefix].claims.extend(claims)
    return rows


# -------------------------------------------------------------------------------------- formatting

def fmt_number(value) -> str:
    """All the digits a number was measured with: repr, never %.6g."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def fmt_value(value) -> str:
    """A measured value as text: numbers with every digit, strings as printed (line breaks kept),
    lists of long strings one element a line."""
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float)):
        return fmt_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) \
            and sum(len(v) for v in value) > 80:
        return "\n".join(f"[{i}] {v}" for i, v in enumerate(value))
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_inline(v)}" for k, v in value.items()) + "}"
    return str(value)


def _inline(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return fmt_value(value)


def _significant_digits(number: float) -> int:
    mantissa = repr(float(number)).lower().lstrip("-").split("e")[0]
    return len(mantissa.replace(".", "").strip("0"))


def book_comparison(value, book) -> str | None:
    """None (the book gives no value), 'same', 'printed-precision' (the measured number rounds to the
    book's printed digits) or 'differs'."""
    if book is None:
        return None
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, book))
    if numeric:
        if value == book:
            return "same"
        if isinstance(book, float) and math.isfinite(book) and math.isfinite(value):
            digits = _significant_digits(book)
            # A book that prints a float32 (0.9591617) and a float64 measurement of the same number.
            if digits >= 4 and float(f"{value:.{digits}g}") == float(f"{book:.{digits}g}"):
                return "printed-precision"
        return "differs"
    if isinstance(value, str) and isinstance(book, (int, float)) and not isinstance(book, bool):
        try:
            return book_comparison(float(value), book)
        except ValueError:
            return "differs"
    return "same" if value == book else "differs"


# ---------------------------------------------------------------------------------------- measured

SERIES_NAME = re.compile(r"\b(?P<how>per|every)\s+(?P<n>\d+\s+)?(?P<unit>epoch|batch|step|episode|iteration)(?:e?s)?\b"
                         r"|\bepisode (?P<what>lengths|scores)\b|\b(curve|history)\b", re.I)
RUN_PREFIX = re.compile(r"^(run|seed) (\d+): ", re.I)


def numeric_series(value) -> list[float] | None:
    if not isinstance(value, list) or len(value) < 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    return [float(v) for v in value]


def is_series(name: str, value) -> bool:
    """A curve over epochs, batches, steps or episodes: plotted. Any other list of numbers (sizes,
    a pair of results, per-case values) is a table row."""
    return numeric_series(value) is not None and SERIES_NAME.search(RUN_PREFIX.sub("", name)) is not None


def axes(name: str) -> tuple[str, str, int, int]:
    """(x label, y label, x step, x start) of a series, from its name."""
    bare = RUN_PREFIX.sub("", name)
    match = SERIES_NAME.search(bare)
    if match and match.group("unit"):
        unit = match.group("unit").lower()
        step = int(match.group("n") or 1)
        y = bare[:match.start()].strip(" :,") or "value"
        if match.group("how").lower() == "every":
            return f"{unit}", y, step, 0
        return (f"{unit} (mean of {step})" if step > 1 else unit), y, step, (0 if step > 1 else 1)
    if match and match.group("what"):
        return "episode", f"episode {match.group('what')[:-1]}", 1, 1
    return "index", bare, 1, 0


def _number_in(text) -> float | None:
    if not isinstance(text, str):
        return None
    numbers = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", text)
    return float(numbers[0]) if len(numbers) == 1 else None


def measured_rows(claim: dict, env_names: list[str]) -> list[dict]:
    """Per measured name of a claim: the book's value, and the values grouped by environment."""
    rows: dict[str, dict] = {}
    for env in env_names:
        for m in claim["results"][env].get("measured") or []:
            row = rows.setdefault(m["name"], {"name": m["name"], "handbook": None, "values": {}, "notes": {}})
            row["values"][env] = m.get("value")
            if m.get("handbook") is not None:
                row["handbook"] = m["handbook"]
            if m.get("note"):
                row["notes"][env] = m["note"]
    return list(rows.values())


def group_values(values: dict[str, object]) -> list[tuple[object, list[str]]]:
    """Identical values together, in first-seen order: [(value, [env, ...]), ...]."""
    groups: dict[str, tuple[object, list[str]]] = {}
    for env, value in values.items():
        key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        groups.setdefault(key, (value, []))[1].append(env)
    return list(groups.values())


@dataclass
class Plot:
    claim: str
    section: str
    name: str
    x_label: str
    y_label: str
    x_step: int
    x_start: int
    lines: list[tuple[str, str, list[float]]]   # (environment, run label or "", values)
    reference: float | None
    reference_label: str | None


def plots(matrix: dict, envs: list[Env]) -> list[Plot]:
    """Every series (training and convergence curves, episode scores), one plot per claim and series
    name (runs of several seeds together), one line per environment and run; the book's value as the
    reference where it gives one."""
    found: dict[tuple[str, str], Plot] = {}
    names = [e.name for e in envs]
    for claim in matrix["claims"]:
        for env in names:
            measured = claim["results"][env].get("measured") or []
            for m in measured:
                if not is_series(m["name"], m.get("value")):
                    continue
                bare = RUN_PREFIX.sub("", m["name"])
                run = RUN_PREFIX.match(m["name"])
                key = (claim["id"], bare)
                if key not in found:
                    x_label, y_label, step, start = axes(m["name"])
                    found[key] = Plot(claim["id"], claim["section"], bare, x_label, y_label, step, start, [],
                                      None, None)
                plot = found[key]
                plot.lines.append((env, f"{run.group(1)} {run.group(2)}" if run else "", numeric_series(m["value"])))
                if plot.reference is None:
                    plot.reference, plot.reference_label = _reference(m, measured, claim, plot.y_label)
    return list(found.values())


def _reference(series: dict, siblings: list[dict], claim: dict, y_label: str) -> tuple[float | None, str | None]:
    book = series.get("handbook")
    if isinstance(book, (int, float)) and not isinstance(book, bool):
        return float(book), f"book {fmt_number(book)}"
    words = {w for w in re.findall(r"[a-z]+", y_label.lower()) if w in ("accuracy", "loss", "score", "scores")}
    for m in siblings:
        value = m.get("handbook")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and m is not series \
                and words & set(re.findall(r"[a-z]+", m["name"].lower())):
            return float(value), f"book {fmt_number(value)} ({m['name']})"
    number = _number_in(claim.get("handbook"))
    if number is not None and words & set(re.findall(r"[a-z]+", (claim.get("handbook") or "").lower())):
        return number, f"book {fmt_number(number)}"
    return None, None


# ------------------------------------------------------------------------------- needs attention

@dataclass
class Attention:
    kind: str        # "new", "error", "crashed", "stale", "fix", "environment", "since"
    claim: str | None
    section: str | None
    environments: list[str]
    reason: str
    claims: list[str] = field(default_factory=list)   # an item that stands for many claims failing alike


PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}
AGGREGATE = 3   # this many claims failing alike: one item


ATTENTION_TITLES = {
    "environment": "Environments that did not run as they should",
    "new": "New deviations (no expectation explains them)",
    "error": "Errors",
    "crashed": "Crashed tests",
    "stale": "Stale expectations (listed as deviating, but the claim holds)",
    "fix": "Fixes that fail (the errata's way to write it today does not work here)",
    "since": "The catalogue's conditions disagree with the matrix",
}


def needs_attention(matrix: dict, envs: list[Env], since_problems: list[str] = ()) -> list[Attention]:
    """New deviations, errors, crashed tests, stale expectations, environments that failed, and
    disagreements of the since-table: each with its section and reason, identical ones across
    environments merged."""
    items: dict[tuple, Attention] = {}
    names = [e.name for e in envs]

    def add(kind, claim, reason, env):
        key = (kind, claim["id"] if claim else None, _alike(reason))
        item = items.setdefault(key, Attention(kind, claim["id"] if claim else None,
                                               claim["section"] if claim else None, [], reason or ""))
        if env and env not in item.environments:
            item.environments.append(env)

    for env in envs:
        problem = env.entry.get("problem")
        status = env.entry.get("pytest_exit_status")
        if status in PYTEST_EXIT and (not problem or re.fullmatch(r"pytest exit status \d+", problem)):
            problem = f"pytest exit status {status} ({PYTEST_EXIT[status]}): the run did not finish normally"
        if problem and not re.fullmatch(r"pytest exit status \d+", problem):
            add("environment", None, f"{env.name}: {problem}" + (" (allowed to fail)" if env.entry.get("allowed_to_fail")
                                                                 else ""), env.name)
        errors = env.entry.get("worker_errors") or []
        by_text: dict[str, list[str]] = {}
        for error in errors:
            worker, _, text = str(error).partition(": ")
            by_text.setdefault(text or worker, []).append(worker if text else "?")
        for text, workers in by_text.items():
            add("environment", None, f"{env.name}: {len(workers)} xdist worker{'s' if len(workers) > 1 else ''} "
                f"({', '.join(sorted(workers))}): {text}", env.name)
    order = {s: n for n, s in enumerate(sections_in_book_order(matrix))}
    for claim in sorted(matrix["claims"], key=lambda c: order[c["section"]]):
        for env in names:
            cell = claim["results"][env]
            status = cell["status"]
            if status == "deviates-new":
                add("new", claim, cell.get("reason"), env)
            elif status == "error" and not any(t.get("outcome") == "crashed" for t in cell.get("tests") or []):
                add("error", claim, _error_reason(cell.get("reason")), env)   # (a crash is listed as one)
            if cell.get("stale_expectation"):
                add("stale", claim, cell.get("reason") or "held, though listed as a known deviation", env)
            failing = [t for t in cell.get("fix_tests") or [] if t.get("outcome") not in ("passed", "skipped", None)]
            if cell.get("fix_status") == "fix-fails" or failing:
                add("fix", claim, "; ".join(f"{t.get('nodeid')}: {t.get('outcome')}: {t.get('message') or ''}"
                                            for t in failing) or "a fix test failed", env)
            for test in cell.get("tests") or []:
                if test.get("outcome") == "crashed":
                    add("crashed", claim, f"{test.get('nodeid')}: {test.get('message') or 'worker crashed'}", env)
    for problem in since_problems:
        claim_id = problem.split(":", 1)[0]
        claim = next((c for c in matrix["claims"] if c["id"] == claim_id), None)
        add("since", claim, problem, None)
    kinds = list(ATTENTION_TITLES)
    return sorted(_aggregate(list(items.values())), key=lambda i: kinds.index(i.kind))


def _alike(reason: str | None) -> str:
    """A reason without what differs between environments and runs (venv paths, times, ports), to
    merge failures that are the same."""
    return re.sub(r"/\.venvs/[^/\s]+/", "/.venvs/<env>/", stable(reason or ""))


def _failure_text(reason: str) -> str:
    """A failure message without the test's node id, to see which claims failed alike."""
    return re.sub(r"^\S+::\S+: ", "", reason or "")


def _aggregate(items: list[Attention]) -> list[Attention]:
    groups: dict[tuple, list[Attention]] = {}
    for item in items:
        if item.kind in ("error", "crashed", "new") and item.claim:
            groups.setdefault((item.kind, _alike(_failure_text(item.reason))), []).append(item)
    merged = {id(i) for members in groups.values() if len({m.claim for m in members}) >= AGGREGATE for i in members}
    out = [i for i in items if id(i) not in merged]
    for (kind, _), members in groups.items():
        claims = list(dict.fromkeys(m.claim for m in members))
        if len(claims) >= AGGREGATE:
            where = list(dict.fromkeys(env for m in members for env in m.environments))
            out.append(Attention(kind, None, None, where, f"{len(claims)} claims fail alike: "
                                 f"{_failure_text(members[0].reason)}", claims))
    return out


def _error_reason(reason: str | None) -> str:
    """The failing test and its message, without the generic sentence the report puts first."""
    generic = "a test of this claim errored, crashed its worker, or never reported: "
    return (reason or "")[len(generic):] if (reason or "").startswith(generic) else (reason or "")


# ------------------------------------------------------------------------------------------ drift

@dataclass
class DriftEntry:
    claim: str
    section: str
    reason: str
    source: str | None
    statuses: dict[str, str]   # environment -> status (deviates-known / deviates-new)


def drift(matrix: dict, envs: list[Env], causes: dict) -> list[tuple[object, list[DriftEntry]]]:
    """Every claim that deviates somewhere, under its cause (causes.toml's order; deviations no
    expectation explains last, under None), in the book's order, identical reasons merged."""
    names = [e.name for e in envs]
    groups: dict[str | None, dict[tuple, DriftEntry]] = {}
    for section, claims in claims_by_section(matrix):
        for claim in claims:
            for env in names:
                cell = claim["results"][env]
                if cell["status"] not in DEVIATING:
                    continue
                cause = cell.get("cause")
                reason = cell.get("reason") or ""
                key = (claim["id"], reason, cell.get("source"))
                entry = groups.setdefault(cause, {}).setdefault(
                    key, DriftEntry(claim["id"], section, reason, cell.get("source"), {}))
                entry.statuses[env] = cell["status"]
    ordered = []
    for cause_id, cause in causes.items():
        if cause_id in groups:
            ordered.append((cause, list(groups[cause_id].values())))
    if None in groups:
        ordered.append((None, list(groups[None].values())))
    return ordered


def describe_environments(names: list[str], envs: list[Env]) -> str:
    """'every environment (26)'; up to three environments by name; else by flavour with release
    ranges: 'keras3-np1 2.16–2.21 · keras3-np2 2.18–2.21 · cpu-keras3-np2 2.21'."""
    chosen = [e for e in envs if e.name in names]
    if len(envs) > 1 and len(chosen) == len(envs):
        return f"every environment ({len(envs)})"
    if len(envs) <= 3 or len(chosen) == 1:
        return ", ".join(e.name for e in chosen)
    order = [r for r, _ in releases(envs)]
    exists: dict[str, list[str]] = {}
    for e in envs:
        exists.setdefault(e.label, []).append(e.release)
    parts = []
    for label in dict.fromkeys(e.label for e in chosen):
        present = sorted(set(exists[label]), key=order.index)
        picked = {e.release for e in chosen if e.label == label}
        runs: list[list[str]] = []
        for release in present:
            if release in picked:
                if runs and runs[-1][-1] == present[present.index(release) - 1] and present.index(release) > 0:
                    runs[-1].append(release)
                else:
                    runs.append([release])
        text = ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)
        parts.append(f"{label} {text}" if label != text else label)
    return " · ".join(parts)


# ------------------------------------------------------------------------------------------ since

@dataclass
class SinceRow:
    claim: str
    section: str
    cause: str | None
    when: str
    source: str | None
    notes: str | None
    first_deviating: str | None
    last_holding: str | None
    cells: dict[str, list[dict]]     # release -> [{environment, status, expected}]
    problems: list[str]
    catalogued: bool = True
    predicted: set[str] = field(default_factory=set)   # environments where some deviation of the claim applies


def since_table(matrix: dict, envs: list[Env]) -> tuple[list[str], list[SinceRow], list[str]]:
    """(releases in order, rows, problems): one row per deviation of the catalogue whose claim deviates
    somewhere in the matrix, and one per deviating claim the catalogue does not list."""
    from ci.since import since_rows

    release_order = [r for r, _ in releases(envs)]
    raw = since_rows(matrix)
    claims = {c["id"]: c for c in matrix["claims"]}
    rows: list[SinceRow] = []
    predicted: dict[str, set[str]] = {}   # claim -> environments where some deviation of the catalogue applies
    for r in raw:
        claim = claims[r["claim"]]
        expected = {c["environment"] for cells in r["cells"].values() for c in cells if c["expected"]}
        predicted.setdefault(r["claim"], set()).update(expected)
        # A deviation whose condition holds nowhere in this matrix says nothing here.
        if not expected or not any(claim["results"][e.name]["status"] in DEVIATING for e in envs):
            continue
        cells = {rel: r["cells"].get(rel, []) for rel in release_order}
        rows.append(SinceRow(r["claim"], r["section"], r["cause"], r["when"], r["source"], r.get("notes"),
                             r["first_deviating"], r["last_holding"], cells, list(r["problems"])))
    for claim in matrix["claims"]:
        unpredicted = [e.name for e in envs if claim["results"][e.name]["status"] in DEVIATING
                       and e.name not in predicted.get(claim["id"], set())]
        if not unpredicted:
            continue
        cells = {rel: [{"environment": e.name, "status": claim["results"][e.name]["status"], "expected": False}
                       for e in members] for rel, members in releases(envs)}
        deviating = [rel for rel in release_order if any(c["status"] in DEVIATING and c["environment"] in unpredicted
                                                         for c in cells[rel])]
        first = deviating[0] if deviating else None
        holding = [rel for rel in release_order[:release_order.index(first)] if any(
            c["status"] == "holds" for c in cells[rel])] if first else []
        rows.append(SinceRow(claim["id"], claim["section"], None, "not in the catalogue", None, None, first,
                             holding[-1] if holding else None, cells, [], catalogued=False))
    for row in rows:
        row.predicted = predicted.get(row.claim, set())
    order = {s: n for n, s in enumerate(sections_in_book_order(matrix))}
    position = {c["id"]: n for n, c in enumerate(matrix["claims"])}
    rows.sort(key=lambda r: (order[r.section], position[r.claim]))
    problems = sorted({p for r in rows for p in r.problems} | {p for r in raw for p in r["problems"]})
    return release_order, rows, problems


# ------------------------------------------------------------------------------ baseline changes

VOLATILE = (
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?"), "<time>"),
    (re.compile(r"\b[IWEF]\d{4} \d\d:\d\d:\d\d?[\d.]*\s+\d+"), "<log prefix>"),
    (re.compile(r"\b(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:<port>"),
    (re.compile(r"/tmp/[^\s'\"]+"), "<tmp>"),
    (re.compile(r"\b0x[0-9a-f]{6,}\b"), "<address>"),
)


def stable(value):
    """A measured value without what changes on every run (times, log prefixes, ports, temporary
    paths, addresses), for comparing runs."""
    if isinstance(value, str):
        for pattern, replacement in VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [stable(v) for v in value]
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items()}
    return value


def _timing(name: str) -> bool:
    return re.search(r"\b(seconds|secs?|time|duration|elapsed)\b", name, re.I) is not None


def measured_changes(old_cell: dict, new_cell: dict) -> list[tuple[str, object, object]]:
    """(name, old value, new value) of every measured value that changed (timings left out)."""
    before = {m["name"]: m.get("value") for m in old_cell.get("measured") or []}
    after = {m["name"]: m.get("value") for m in new_cell.get("measured") or []}
    changed = []
    for name in list(dict.fromkeys([*before, *after])):
        if _timing(name):
            continue
        if stable(before.get(name)) != stable(after.get(name)):
            changed.append((name, before.get(name), after.get(name)))
    return changed


def word_diff(old: str | None, new: str | None, context: int = 5) -> str:
    """What changed inside a text: '… kept words [-removed-] {+added+} kept …'."""
    a, b = (old or "").split(), (new or "").split()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if a and b and matcher.ratio() < 0.3:   # another text altogether: say so, do not interleave
        return "[-" + " ".join(a) + "-] {+" + " ".join(b) + "+}"
    opcodes = matcher.get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = a[i1:i2]
            first, last = n == 0, n == len(opcodes) - 1
            if len(words) > 2 * context or (first and len(words) > context) or (last and len(words) > context):
                head = [] if first else words[:context]
                tail = [] if last else words[-context:]
                out.extend([*head, "…", *tail])
            else:
                out.extend(words)
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out) if out else "(no words)"


@dataclass
class Change:
    claim: str
    section: str
    environment: str          # the new matrix's environment
    baseline_environment: str
    old_status: str
    new_status: str
    reason_diff: str | None
    measured: list[tuple[str, object, object]]

    @property
    def kinds(self) -> list[str]:
        kinds = []
        if self.old_status != self.new_status:
            kinds.append("status")
        if self.reason_diff is not None:
            kinds.append("reason")
        if self.measured:
            kinds.append("measured")
        return kinds


def pair_environments(old: dict, new: dict) -> list[tuple[str, str]]:
    """(old name, new name) pairs to compare: the environments both have; or, when each has one, those two."""
    old_names = [e["name"] for e in old["environments"]]
    new_names = [e["name"] for e in new["environments"]]
    common = [(n, n) for n in new_names if n in old_names]
    if common:
        return common
    if len(old_names) == 1 and len(new_names) == 1:
        return [(old_names[0], new_names[0])]
    return []


def changes(old: dict, new: dict) -> list[Change]:
    """Every cell (claim × paired environment) whose status, reason or measured values changed."""
    found = []
    before = {c["id"]: c for c in old["claims"]}
    for claim in new["claims"]:
        previous = before.get(claim["id"])
        for old_env, new_env in pair_environments(old, new):
            cell = claim["results"].get(new_env)
            if cell is None:
                continue
            was = previous["results"].get(old_env) if previous else None
            if was is None:
                continue
            reason_changed = (was.get("reason") or "") != (cell.get("reason") or "") and \
                stable(was.get("reason") or "") != stable(cell.get("reason") or "")
            change = Change(claim["id"], claim["section"], new_env, old_env, was["status"], cell["status"],
                            word_diff(was.get("reason"), cell.get("reason")) if reason_changed else None,
                            measured_changes(was, cell))
            if change.kinds:
                found.append(change)
    return found
