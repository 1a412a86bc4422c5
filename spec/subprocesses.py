"""Running handbook snippets in a fresh Python: for global state (eager mode, C++ logging) that a
test must not change in the shared test process."""
from __future__ import annotations

import functools
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


# The installation check of chapter 一 as the book writes it (log level set after the import),
# followed, after a marker, by chapter 二's switch to graph mode. One fresh interpreter serves both
# claims: importing TensorFlow is most of the cost of a child process (5-7 s here).
SECTION_MARKER = "=== handbook-spec: end of the installation check ==="

INSTALL_CHECK = (
    "print(tf.config.list_physical_devices())\n"
    "A = tf.constant([[1, 2], [3, 4]])\n"
    "B = tf.constant([[5, 6], [7, 8]])\n"
    "print(tf.matmul(A, B))\n"
)

_AS_WRITTEN_THEN_GRAPH_MODE = (
    "import tensorflow as tf\n"
    "import os\n"
    "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\n"
    + INSTALL_CHECK
    + "import sys\n"
    f"print({SECTION_MARKER!r}, flush=True)\n"
    f"print({SECTION_MARKER!r}, file=sys.stderr, flush=True)\n"
    "print('eager_before', tf.executing_eagerly())\n"
    "tf.compat.v1.disable_eager_execution()\n"
    "print('eager_after', tf.executing_eagerly())\n"
    "t = tf.constant(2.0) * 3.0\n"
    "print('eager_tensor', type(t).__name__ == 'EagerTensor')\n"
    "print('graph_value', tf.compat.v1.Session().run(t))\n"
)


@functools.cache
def as_written_then_graph_mode() -> subprocess.CompletedProcess:
    return run_python(_AS_WRITTEN_THEN_GRAPH_MODE)


def split_at_marker(text: str) -> tuple[str, str]:
    before, _, after = text.partition(SECTION_MARKER)
    return before, after
