"""四、TensorFlow常用模块 / （二）TensorBoard可视化 / 2. 查看Graph和Profile信息: "跟踪在整个TensorFlow运行时过程中都
会处于激活状态，并影响所有执行线程" — a trace switched on in one thread records the graphs of tf.functions run
in another, read back from the exported trace with TensorBoard's own event reader.

The graph trace records a tf.function when it is traced (instantiated) while the trace is on, not
each time it runs, so every check uses tf.functions created inside the test, each with an op of its
own (Cumsum, Cumprod) that names it in the exported graph.
"""
from __future__ import annotations

import threading

import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import config_pb2
from tensorboard.util import tensor_util


def exported_ops(log_dir, name: str) -> set[str]:
    """The op types of every function graph in the trace exported under `name`."""
    accumulator = event_accumulator.EventAccumulator(str(log_dir), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    if name not in accumulator.Tags()["tensors"]:
        return set()
    ops = set()
    for event in accumulator.Tensors(name):
        metadata = config_pb2.RunMetadata.FromString(tensor_util.make_ndarray(event.tensor_proto).item())
        ops |= {node.op for graph in metadata.function_graphs for node in graph.pre_optimization_graph.node}
    return ops


def in_a_thread(function) -> None:
    errors = []

    def run():
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="handbook-spec-worker")
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the worker thread did not finish"
    if errors:
        raise errors[0]


def export(log_dir, name: str) -> set[str]:
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        tf.summary.trace_export(name=name, step=0)
    writer.flush()
    return exported_ops(log_dir, name)


@pytest.fixture
def trace_is_off():
    """Tracing is process-wide: whatever a test does, no trace survives it."""
    tf.summary.trace_off()
    yield
    tf.summary.trace_off()


@pytest.mark.claim("tensorboard.trace-all-threads")
def test_trace_on_in_the_main_thread_records_a_worker_threads_function(tmp_path, trace_is_off, measured):
    cumulative_sum = tf.function(lambda x: tf.math.cumsum(x) * 2.0)
    tf.summary.trace_on(graph=True, profiler=False)
    in_a_thread(lambda: cumulative_sum(tf.range(5.0)))
    ops = export(tmp_path, "worker_thread_trace")
    measured("ops of the trace exported in the main thread", sorted(ops))
    assert "Cumsum" in ops, f"a function run only in a worker thread is missing from the trace: {sorted(ops)}"


@pytest.mark.claim("tensorboard.trace-all-threads")
def test_trace_on_in_a_worker_thread_records_the_main_threads_function(tmp_path, trace_is_off, measured):
    cumulative_product = tf.function(lambda x: tf.math.cumprod(x) + 1.0)
    in_a_thread(lambda: tf.summary.trace_on(graph=True, profiler=False))
    cumulative_product(tf.range(1.0, 6.0))
    ops = export(tmp_path, "main_thread_trace")
    measured("ops of the trace exported in the main thread", sorted(ops))
    assert "Cumprod" in ops, f"a trace switched on in a worker thread missed the main thread's function: {sorted(ops)}"
