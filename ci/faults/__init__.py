"""Planted faults in TensorFlow/Keras behaviour, one module each, for `python -m ci.fault_injection`.

Importing a fault module patches TensorFlow in the importing process, so each is loaded as a pytest
plugin (`-p ci.faults.<name>`) and is active before any test module is collected. The module's
docstring says, in one sentence, what is wrong. This package itself imports nothing from
TensorFlow: listing the faults must never plant one.
"""
from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

FOLDER = Path(__file__).parent


def fault_names() -> list[str]:
    """Every fault module in this package, sorted; `_`-prefixed modules are helpers, not faults."""
    return sorted(m.name for m in pkgutil.iter_modules([str(FOLDER)]) if not m.name.startswith("_") and not m.ispkg)


def targets(name: str) -> list[str]:
    """The fault's optional `TARGETS = ["spec/test_....py", ...]`: the test files aimed at it, which
    ci.fault_injection runs first and in full. Read from the source, like the docstring."""
    tree = ast.parse((FOLDER / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TARGETS" for t in node.targets):
            value = ast.literal_eval(node.value)
            if not (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"ci/faults/{name}.py: TARGETS must be a list of paths")
            return list(value)
    return []


def docstring(name: str) -> str | None:
    """A fault module's docstring, read from its source: importing it would plant the fault."""
    tree = ast.parse((FOLDER / f"{name}.py").read_text(encoding="utf-8"))
    return ast.get_docstring(tree)
