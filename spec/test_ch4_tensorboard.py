"""四、TensorFlow常用模块 / （二）TensorBoard可视化: the summary writer and its parameters, one record
per tf.summary.scalar/text/image/audio call read back with TensorBoard's own event reader, a real
`tensorboard --logdir` server on a free loopback port and its HTTP API, graph tracing, and the
profiler calls the book uses and recommends."""
from __future__ import annotations

import inspect
import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import config_pb2
from tensorboard.util import tensor_util

from fixtures.tensorboard_server import PortTaken, port_in_use, server_on_the_default_port, tensorboard_server_for
from spec.assertions import assert_close, assert_exact

# ---------------------------------------------------------------- reading event files


def read_records(logdir) -> dict[str, list[tuple[int, np.ndarray, str]]]:
    """tag -> [(step, value, plugin name)] from every event file in logdir, via TensorBoard's reader."""
    accumulator = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    records = {}
    for tag in accumulator.Tags()["tensors"]:
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        records[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto), plugin) for e in accumulator.Tensors(tag)]
    return records


def event_files(logdir) -> list[str]:
    return sorted(f for f in os.listdir(logdir) if f.startswith("events.out.tfevents."))


def only_record(records, tag: str, plugin: str):
    __tracebackhide__ = True
    assert tag in records, f"no record named {tag!r}; tags: {sorted(records)}"
    assert len(records[tag]) == 1, f"{tag}: {len(records[tag])} records, expected one"
    step, value, got_plugin = records[tag][0]
    assert got_plugin == plugin, f"{tag}: plugin {got_plugin!r}, expected {plugin!r}"
    return step, value


def assert_book_parameters_first(function, book: list[tuple[str, object]]) -> None:
    """The book's parameters, in its order and with its defaults, come first; anything added later
    must be optional (a call written as in the book still works)."""
    __tracebackhide__ = True
    parameters = list(inspect.signature(function).parameters.values())
    got = [(p.name, p.default) for p in parameters]
    assert got[: len(book)] == book, f"{function.__name__}{inspect.signature(function)}"
    extra = [p.name for p in parameters[len(book):] if p.default is inspect.Parameter.empty]
    assert not extra, f"{function.__name__}: parameters after the book's ones without a default: {extra}"


@pytest.fixture
def trace_is_off():
    """Tracing is process-wide: whatever a test does, no trace survives it."""
    yield
    tf.summary.trace_off()


@tf.function
def square_plus_one(x):
    return tf.matmul(x, x) + 1.0


# ---------------------------------------------------------------- 1. 实时记录参数变化情况


@pytest.mark.claim("tensorboard.create-file-writer-signature")
def test_create_file_writer_signature(measured):
    book = [("logdir", inspect.Parameter.empty), ("max_queue", None), ("flush_millis", None),
            ("filename_suffix", None), ("name", None), ("experimental_trackable", False)]
    measured("signature", str(inspect.signature(tf.summary.create_file_writer)),
             handbook="(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None, experimental_trackable=False)")
    assert_book_parameters_first(tf.summary.create_file_writer, book)


@pytest.mark.claim("tensorboard.writer-writes-to-logdir")
def test_writer_writes_into_logdir(tmp_path, capsys):
    writer = tf.summary.create_file_writer(str(tmp_path / "tblog"), filename_suffix=".handbook")
    print(writer)
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"<tensorflow\.python\.ops\.summary_ops_v2\._ResourceSummaryWriter object at 0x[0-9a-fA-F]+>",
                        printed), printed
    with writer.as_default():
        tf.summary.scalar("x", 1.0, step=0)
    writer.flush()
    files = event_files(tmp_path / "tblog")
    assert len(files) == 1 and files[0].endswith(".handbook"), files


@pytest.mark.claim("tensorboard.summary-signatures")
def test_summary_function_signatures():
    book = {
        "scalar": "(name, data, step=None, description=None)",
        "text": "(name, data, step=None, description=None)",
        "image": "(name, data, step=None, max_outputs=3, description=None)",
        "audio": "(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None)",
    }
    got = {name: str(inspect.signature(getattr(tf.summary, name))) for name in book}
    assert got == book, got


@pytest.mark.claim("tensorboard.scalar-record")
def test_scalar_writes_one_record(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.scalar("loss", 0.123456789, step=37)
    writer.flush()
    step, value = only_record(read_records(tmp_path), "loss", "scalars")
    assert step == 37, step
    assert_exact(value, np.float32(0.123456789), what="scalar value", dtype=np.float32)


@pytest.mark.claim("tensorboard.text-record")
def test_text_writes_one_record(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.text("note", "损失下降 loss falls", step=5)
    writer.flush()
    step, value = only_record(read_records(tmp_path), "note", "text")
    assert step == 5, step
    assert value.item().decode("utf-8") == "损失下降 loss falls", value


@pytest.mark.claim("tensorboard.image-record")
def test_image_writes_one_record(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, size=(4, 6, 5, 3), dtype=np.uint8)  # 4 images 6x5 RGB
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.image("digits", pixels, step=11)  # max_outputs=3 by default
    writer.flush()
    step, value = only_record(read_records(tmp_path), "digits", "images")
    assert step == 11, step
    width, height, *pngs = value.tolist()
    assert (int(width), int(height)) == (5, 6), (width, height)
    assert len(pngs) == 3, f"{len(pngs)} images stored, expected max_outputs=3"
    for i, png in enumerate(pngs):
        assert_exact(tf.io.decode_png(png), pixels[i], what=f"decoded image {i}", dtype=np.uint8)


@pytest.mark.claim("tensorboard.audio-record")
def test_audio_writes_one_record(tmp_path):
    samples = np.random.default_rng(1).uniform(-1, 1, size=(2, 400, 1)).astype(np.float32)
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.audio("tone", samples, sample_rate=8000, step=3)
    writer.flush()
    step, value = only_record(read_records(tmp_path), "tone", "audio")
    assert step == 3, step
    assert value.shape == (2, 2), value.shape  # one [encoded clip, label] row per clip
    for i in range(2):
        decoded, rate = tf.audio.decode_wav(value[i, 0])
        assert int(rate) == 8000, int(rate)
        # 16-bit PCM: each sample within one quantisation step (plus rounding) of what was given.
        assert_close(decoded, samples[i], what=f"decoded clip {i}", rtol=0, atol=2 / 32768)


def tiny_regression_losses(n: int) -> list[float]:
    """n losses of a small tf.function regression step (the '训练代码' of the framework loop)."""
    w = tf.Variable([[0.5], [-0.25]])
    x, y = tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([[1.0], [2.0]])
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        return loss

    return [step() for _ in range(n)]


def log_losses(logdir, num_batches: int) -> list[np.float32]:
    """The section's framework loop: one tf.summary.scalar('loss', loss, step=batch_index) per batch."""
    summary_writer = tf.summary.create_file_writer(str(logdir))
    losses = tiny_regression_losses(num_batches)
    for batch_index in range(num_batches):
        loss = losses[batch_index]
        with summary_writer.as_default():
            tf.summary.scalar("loss", loss, step=batch_index)
    summary_writer.flush()
    return [np.float32(loss.numpy()) for loss in losses]


@pytest.mark.claim("tensorboard.loss-loop")
def test_loss_loop_logs_one_record_per_batch(tmp_path):
    losses = log_losses(tmp_path, 12)
    records = read_records(tmp_path)["loss"]
    assert [step for step, _, _ in records] == list(range(12)), [step for step, _, _ in records]
    assert_exact(np.array([v for _, v, _ in records]), np.array(losses), what="logged losses", dtype=np.float32)


# ---------------------------------------------------------------- the server


SCALAR_STEPS = 25


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One TensorBoard for the module, on a logdir holding a 'scalars' run (the loss loop) and a
    'trace' run (a traced tf.function). Teardown stops it and fails if any process is left."""
    logdir = tmp_path_factory.mktemp("tblog")
    losses = log_losses(logdir / "scalars", SCALAR_STEPS)
    writer = tf.summary.create_file_writer(str(logdir / "trace"))
    # A fresh tf.function: the trace records a function's graph only when it is traced (instantiated)
    # while the trace is on, so square_plus_one, which other tests of this module call on the same
    # input signature, would leave no MatMul in the trace if one of them ran first in this process.
    traced = tf.function(square_plus_one.python_function)
    tf.summary.trace_on(graph=True, profiler=False)
    try:
        traced(tf.ones([2, 2]))
        with writer.as_default():
            tf.summary.trace_export(name="model_trace", step=0)
    finally:
        tf.summary.trace_off()
    writer.flush()
    server = tensorboard_server_for(logdir, tmp_path_factory.mktemp("tblog-server") / "tensorboard.log")
    try:
        yield server, losses
    finally:
        left = server.stop()
        assert not left, f"tensorboard left processes behind: {left}"


@pytest.mark.claim("tensorboard.server-serves-scalars")
def test_server_serves_the_logged_scalars(served):
    server, losses = served
    assert server.process.poll() is None, "tensorboard is not running"
    assert "scalars" in server.wait_for(lambda: server.get_json("/data/runs"), what="the run list")
    rows = server.wait_for(
        lambda: (r := server.get_json("/data/plugin/scalars/scalars", run="scalars", tag="loss")) and len(r) == SCALAR_STEPS and r,
        what=f"{SCALAR_STEPS} loss values",
    )
    assert [row[1] for row in rows] == list(range(SCALAR_STEPS)), [row[1] for row in rows]
    # JSON carries the float32 values as doubles: exactly the float32 numbers written.
    assert_exact(np.array([row[2] for row in rows], np.float64).astype(np.float32), np.array(losses),
                 what="served loss values")


@pytest.mark.claim("tensorboard.server-banner")
def test_server_banner_and_default_port(tmp_path, measured):
    # Started as the book starts it, `tensorboard --logdir=...` without --port or --host, so the
    # port is the one TensorBoard picks; observed in its banner (and bound), not read from a constant.
    import tensorboard

    (tmp_path / "logdir").mkdir()
    try:
        with server_on_the_default_port(tmp_path / "logdir", tmp_path / "tensorboard.log") as server:
            bound = port_in_use(int(server.banner["port"]))
    except PortTaken as taken:
        pytest.skip(f"{taken}: TensorBoard would take the next free port, so its default cannot be observed here")
    measured("banner", server.banner.group(0), handbook="TensorBoard 2.10.1 at http://localhost:6006/ (Press CTRL+C to quit)")
    assert server.banner["version"] == tensorboard.__version__, (server.banner["version"], tensorboard.__version__)
    assert (server.banner["host"], server.banner["port"]) == ("localhost", "6006"), (
        f"started without --port and --host while port 6006 was free, TensorBoard printed {server.banner.group(0)!r}"
    )
    assert bound, f"nothing listened on the port of the banner {server.banner.group(0)!r}"


@pytest.mark.claim("tensorboard.trace-graph")
def test_traced_graph_is_recorded_and_served(served):
    server, _ = served
    records = read_records(server.logdir / "trace")
    step, value = only_record(records, "model_trace", "graph_run_metadata_graph")
    assert step == 0, step
    metadata = config_pb2.RunMetadata.FromString(value.item())
    ops = {node.op for graph in metadata.function_graphs for node in graph.pre_optimization_graph.node}
    assert "MatMul" in ops, sorted(ops)
    listing = server.wait_for(
        lambda: (p := server.get_json("/data/plugins_listing")).get("graphs", {}).get("enabled") and p,
        what="an enabled Graphs dashboard")
    assert listing["graphs"]["enabled"] is True


@pytest.mark.claim("tensorboard.profile-plugin-separate")
def test_no_profile_dashboard_without_the_plugin(served):
    try:
        import tensorboard_plugin_profile  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("tensorboard-plugin-profile is installed here; the claim is about TensorBoard without it")
    server, _ = served
    # Dashboards are enabled once TensorBoard has read their data; wait until Scalars is, so the
    # listing is one of a loaded log folder (a Profile dashboard would be enabled by then too).
    listing = server.wait_for(
        lambda: (p := server.get_json("/data/plugins_listing")).get("scalars", {}).get("enabled") and p,
        what="an enabled Scalars dashboard")
    working = {name: entry for name, entry in listing.items() if "profile" in name.lower() and entry.get("enabled")
               and name != "profile_redirect"}
    assert not working, f"a Profile dashboard without tensorboard-plugin-profile: {working}"


# ---------------------------------------------------------------- 2. 查看Graph和Profile信息


@pytest.mark.claim("tensorboard.trace-signatures")
def test_trace_signatures(measured):
    got = {name: str(inspect.signature(getattr(tf.summary, name))) for name in ("trace_on", "trace_off", "trace_export")}
    measured("signatures", got, handbook={"trace_on": "(graph=True, profiler=False)", "trace_off": "()",
                                          "trace_export": "(name, step=None, profiler_outdir=None)"})
    assert_book_parameters_first(tf.summary.trace_on, [("graph", True), ("profiler", False)])
    assert_book_parameters_first(tf.summary.trace_off, [])
    empty = inspect.Parameter.empty
    assert_book_parameters_first(tf.summary.trace_export, [("name", empty), ("step", None), ("profiler_outdir", None)])


def export_writes_nothing(log_dir, name: str) -> bool:
    """trace_export with no active trace: older TF logs a warning and writes nothing, TF 2.16+
    raises a ValueError saying no trace is on. Either way no trace record may appear."""
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        try:
            tf.summary.trace_export(name=name, step=0)
        except ValueError as error:
            assert "trace" in str(error).lower(), error
    writer.flush()
    return name not in read_records(log_dir)


def eager_trace_is_exported(log_dir, name: str) -> bool:
    """The positive control: trace_on called eagerly, a fresh tf.function called, trace_export writes
    the graph record (so 'nothing written' below is the claim, not a broken tracer)."""
    @tf.function
    def cube(x):
        return tf.matmul(tf.matmul(x, x), x)

    tf.summary.trace_on(graph=True)
    cube(tf.ones([2, 2]))
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        tf.summary.trace_export(name=name, step=0)
    writer.flush()
    records = read_records(log_dir)
    return name in records and records[name][0][2] == "graph_run_metadata_graph"


@pytest.mark.claim("tensorboard.trace-eager-only")
def test_trace_on_inside_a_function_starts_nothing(tmp_path, trace_is_off):
    assert eager_trace_is_exported(tmp_path / "control", "control"), "an eager trace_on/trace_export wrote no graph"
    @tf.function
    def start_tracing_inside():
        tf.summary.trace_on(graph=True)
        return tf.constant(0)

    start_tracing_inside()
    square_plus_one(tf.ones([2, 2]) * 2)
    assert export_writes_nothing(tmp_path, "inside"), "trace_on inside a tf.function started a trace"


@pytest.mark.claim("tensorboard.trace-off")
def test_trace_off_stops_without_export(tmp_path, trace_is_off):
    assert eager_trace_is_exported(tmp_path / "control", "control"), "an eager trace_on/trace_export wrote no graph"
    tf.summary.trace_on(graph=True)
    square_plus_one(tf.ones([2, 2]) * 3)
    tf.summary.trace_off()
    assert export_writes_nothing(tmp_path, "after_off"), "trace_export after trace_off still wrote a trace"


def profile_files(log_dir) -> list[str]:
    root = os.path.join(str(log_dir), "plugins", "profile")
    return [os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files]


@pytest.mark.claim("tensorboard.trace-profiler-as-written")
def test_trace_with_profiler_as_written(tmp_path, trace_is_off):
    log_dir = str(tmp_path)
    summary_writer = tf.summary.create_file_writer(log_dir)
    tf.summary.trace_on(graph=True, profiler=True)
    square_plus_one(tf.ones([2, 2]) * 4)
    export_error = None
    with summary_writer.as_default():
        try:
            tf.summary.trace_export(name="model_trace", step=0, profiler_outdir=log_dir)
        except tf.errors.OpError as error:  # the profiler half may fail after the graph record is written
            export_error = error
    summary_writer.flush()
    # The graph half first, outside the handler: if it is missing too, that is not the known failure.
    step, _ = only_record(read_records(log_dir), "model_trace", "graph_run_metadata")
    assert step == 0
    if export_error is not None:
        raise export_error
    assert profile_files(log_dir), f"no profile data under {log_dir}/plugins/profile"


@pytest.mark.claim("tensorboard.trace-deprecated")
def test_profiler_tracing_logs_a_deprecation(tmp_path, trace_is_off, monkeypatch, measured):
    from tensorflow.python.util import deprecation

    monkeypatch.setattr(deprecation, "_PRINTED_WARNING", {})  # deprecations are logged once per process
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        tf.summary.trace_on(graph=True, profiler=True)
        square_plus_one(tf.ones([2, 2]) * 5)
        with tf.summary.create_file_writer(str(tmp_path)).as_default():
            try:
                tf.summary.trace_export(name="model_trace", step=0, profiler_outdir=str(tmp_path))
            except tf.errors.OpError:  # this claim is about the notice; trace-profiler-as-written covers the export
                pass
    finally:
        logger.removeHandler(handler)
    notices = [m for m in messages if "deprecated" in m.lower() or "tf.profiler.experimental" in m]
    measured("messages TensorFlow logged", messages)
    assert any("tf.profiler.experimental.start" in m for m in notices), f"no deprecation notice; TF logged {messages}"


@pytest.mark.claim("tensorboard.profiler-start-stop")
def test_profiler_start_stop_writes_a_profile(tmp_path):
    tf.profiler.experimental.start(logdir=str(tmp_path))
    try:
        square_plus_one(tf.ones([2, 2]) * 6)
    finally:
        tf.profiler.experimental.stop(save=True)
    files = profile_files(tmp_path)
    assert any(f.endswith(".xplane.pb") for f in files), f"profile files: {files}"
    # And it is a profile of what ran: the XSpace holds the host's plane and the function's MatMul.
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    planes, events = [], set()
    for name in (f for f in files if f.endswith(".xplane.pb")):
        space = xplane_pb2.XSpace.FromString((tmp_path / "plugins" / "profile" / name).read_bytes())
        planes += [plane.name for plane in space.planes]
        events |= {m.name for plane in space.planes for m in plane.event_metadata.values()}
    assert any(name.startswith("/host:CPU") for name in planes), f"no host plane in the profile: planes {planes}"
    assert any("MatMul" in name for name in events), f"the profile records no MatMul: events {sorted(events)[:20]}"
