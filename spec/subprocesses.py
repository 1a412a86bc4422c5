"""Running handbook snippets in a fresh Python: for global state (eager mode, C++ logging) that a
test must not change in the shared test process."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

STRIPPED = ("TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL", "TF_CPP_VMODULE")


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `code` with this interpreter; logging variables are cleared unless `env` sets them."""
    child_env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=timeout,
        check=False,
    )


def describe(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
