"""Conditions on what is installed: when a known deviation applies.

A condition is a TOML table of facts, all of which must hold (`{keras = ">=3", numpy = ">=2"}`), or
an array of such tables, any of which may hold. Versions are compared with `packaging` specifiers;
`keras-flavour`, `tensorflow-distribution` and `platform` take a name or a list of names. A fact
about a package that is not installed is false. Facts come from package versions
(`facts_from_versions`): those of the running interpreter from its package metadata
(ci.environment), those of a matrix environment from its lock file, so a catalogue can be checked
against every environment of the matrix without building one.

Pure Python; never imports TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# fact -> what it is. Version facts are compared with specifiers, name facts by equality.
VERSION_FACTS = {
    "tensorflow": "version of the installed TensorFlow distribution (tensorflow, tensorflow-cpu, tf-nightly, ...)",
    "keras": "version of the Keras that tf.keras is (keras 2.x, keras 3.x, or tf-keras with TF_USE_LEGACY_KERAS=1)",
    "numpy": "NumPy's version",
    "gym": "gym's version",
    "gymnasium": "gymnasium's version",
    "tensorboard": "TensorBoard's version",
    "python": "the Python version",
}
NAME_FACTS = {
    "keras-flavour": "keras2 (TF <= 2.15), keras3, or tf-keras (legacy Keras 2 on TF >= 2.16)",
    "tensorflow-distribution": "the TensorFlow wheel: tensorflow, tensorflow-cpu, tf-nightly, ...",
    "platform": "sys.platform: linux, darwin, win32",
}
# Facts of the machine rather than of the installed packages (ci.machine): known only where the
# suite runs, so an environment described by its lock file has them UNKNOWN, which any condition
# may hold for.
MACHINE_FACTS = {
    "float32-dot": "the float32 dot kernel NumPy's BLAS runs here: double-accumulation, float32-lanes or other",
}
FACTS = {**VERSION_FACTS, **NAME_FACTS, **MACHINE_FACTS}
UNKNOWN = "unknown"

TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-nightly",
                            "tf-nightly-cpu")
KERAS_DISTRIBUTIONS = ("keras", "keras-nightly")
TF_KERAS_DISTRIBUTIONS = ("tf-keras", "tf_keras", "tf-keras-nightly")


class ConditionError(ValueError):
    """A condition names an unknown fact or has an invalid specifier."""


def keras_of(versions: dict[str, str], legacy_keras: bool) -> tuple[str, str | None]:
    """(flavour, version) of the Keras tf.keras resolves to, from package versions.

    TF >= 2.16 maps tf.keras to Keras 3 unless TF_USE_LEGACY_KERAS=1 and tf-keras is installed;
    TF <= 2.15 ships Keras 2 as `keras`.
    """
    tf_keras = next((versions[d] for d in TF_KERAS_DISTRIBUTIONS if versions.get(d)), None)
    if legacy_keras and tf_keras:
        return "tf-keras", tf_keras
    keras = next((versions[d] for d in KERAS_DISTRIBUTIONS if versions.get(d)), None)
    if keras and Version(keras).major >= 3:
        return "keras3", keras
    return "keras2", keras


def tensorflow_of(versions: dict[str, str]) -> tuple[str | None, str | None]:
    """(distribution, version) of the installed TensorFlow wheel."""
    for dist in TENSORFLOW_DISTRIBUTIONS:
        if versions.get(dist):
            return dist, versions[dist]
    return None, None


def facts_from_versions(versions: dict[str, str], *, legacy_keras: bool, python: str,
                        platform_name: str = "linux", machine: dict | None = None) -> dict[str, str | None]:
    """The facts of an environment with these installed distributions (name -> version); the
    machine facts are `machine`'s, or UNKNOWN."""
    versions = {name.lower().replace("_", "-"): v for name, v in versions.items()}
    distribution, tf_version = tensorflow_of(versions)
    flavour, keras_version = keras_of(versions, legacy_keras)
    return {
        "tensorflow": tf_version,
        "tensorflow-distribution": distribution,
        "keras": keras_version,
        "keras-flavour": flavour,
        "numpy": versions.get("numpy"),
        "gym": versions.get("gym"),
        "gymnasium": versions.get("gymnasium"),
        "tensorboard": versions.get("tensorboard"),
        "python": python,
        "platform": platform_name,
        **{fact: (machine or {}).get(fact, UNKNOWN) for fact in MACHINE_FACTS},
    }


def _version(value: str) -> Version | None:
    try:
        return Version(value)
    except (InvalidVersion, TypeError):
        return None


@dataclass(frozen=True)
class Condition:
    """Any of `alternatives`, each a tuple of (fact, test) pairs that must all hold."""

    alternatives: tuple[tuple[tuple[str, object], ...], ...]
    text: str

    def holds(self, facts: dict[str, str | None]) -> bool:
        return any(all(_fact_holds(facts.get(name), test) for name, test in alternative)
                   for alternative in self.alternatives)

    def __str__(self) -> str:
        return self.text


ALWAYS = Condition(((),), "always")


def _fact_holds(value: str | None, test) -> bool:
    if value is None:
        return False  # the package is not installed
    if value == UNKNOWN:
        return True  # a machine fact of an environment not measured here: it may hold
    if isinstance(test, SpecifierSet):
        version = _version(value)
        return version is not None and test.contains(version, prereleases=True)
    return value in test


def _describe(table: dict) -> str:
    return ", ".join(f"{k} {v if isinstance(v, str) else ' or '.join(v)}" for k, v in table.items())


def parse_condition(value, where: str) -> Condition:
    """A Condition from a TOML value (table or array of tables); ConditionError says what is wrong."""
    if value is None:
        return ALWAYS
    tables = value if isinstance(value, list) else [value]
    if not tables or not all(isinstance(t, dict) and t for t in tables):
        raise ConditionError(f"{where}: a condition is a non-empty table of facts, or an array of them")
    alternatives = []
    for table in tables:
        tests = []
        for name, spec in table.items():
            if name not in FACTS:
                raise ConditionError(f"{where}: unknown fact {name!r} (known: {', '.join(sorted(FACTS))})")
            if name in VERSION_FACTS:
                if not isinstance(spec, str):
                    raise ConditionError(f"{where}: {name} takes a version specifier string such as '>=2'")
                try:
                    tests.append((name, SpecifierSet(spec)))
                except InvalidSpecifier as exc:
                    raise ConditionError(f"{where}: {name} = {spec!r} is not a valid version specifier") from exc
            else:
                names = [spec] if isinstance(spec, str) else spec
                if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
                    raise ConditionError(f"{where}: {name} takes a name or a list of names")
                tests.append((name, frozenset(names)))
        alternatives.append(tuple(tests))
    text = " or ".join(f"({_describe(t)})" if len(tables) > 1 else _describe(t) for t in tables)
    return Condition(tuple(alternatives), text)
