"""Run some test files first (used by ci.fault_injection with -x, so that a fault is caught early).

Loaded explicitly (`-p ci.run_first_plugin`); the files come from the environment variable
HANDBOOK_SPEC_RUN_FIRST (comma-separated paths relative to the rootdir). Only the order changes:
every collected test still runs unless the session stops.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "HANDBOOK_SPEC_RUN_FIRST"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first = [(Path(str(config.rootpath)) / p).resolve() for p in os.environ.get(ENV_VAR, "").split(",") if p.strip()]
    if not first:
        return

    def rank(item: pytest.Item) -> int:
        path = Path(str(item.path)).resolve()
        return next((i for i, target in enumerate(first) if path == target or target in path.parents), len(first))

    items.sort(key=rank)  # stable: the order within each file is kept
