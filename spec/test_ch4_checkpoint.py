"""四、TensorFlow常用模块 / （一）变量的保存与恢复：tf.train.Checkpoint: pickle, what save() writes
and how it numbers, which objects round-trip, when variables exist to be saved, restore of a
numbered path and of the latest one, deferred restore, graph mode, save_weights/load_weights.

The model is the handbook's chapter 三 MLP from spec.models_keras; file names and numbering are
checked against reference.checkpoint_manager."""
from __future__ import annotations

import os
import pickle
import re

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import checkpoint_manager as ref
from spec.assertions import assert_exact, largest_difference
from spec.models_keras import MLP

IMAGE_SHAPE = (28, 28, 1)


def images(n: int = 4, seed: int = 0) -> tf.Tensor:
    return tf.constant(np.random.default_rng(seed).random((n, *IMAGE_SHAPE), dtype=np.float32))


def called_mlp(seed: int = 0) -> MLP:
    """An MLP whose variables exist (one call on a few images)."""
    model = MLP()
    model(images(2, seed))
    return model


def values(variables) -> list[np.ndarray]:
    return [v.numpy().copy() for v in variables]


def assert_values_equal(got, expected, *, what: str) -> None:
    __tracebackhide__ = True
    assert len(got) == len(expected), f"{what}: {len(got)} variables, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_exact(g, e, what=f"{what}[{i}]")


def disk_files(directory) -> set[str]:
    return set(os.listdir(directory))


def saved_keys(prefix: str) -> list[str]:
    return [name for name, _ in tf.train.list_variables(prefix)]


def state_file_path_lines(directory) -> list[str]:
    with open(os.path.join(directory, "checkpoint"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.startswith(("model_checkpoint_path", "all_model_checkpoint_paths"))]


def one_adam_step(model: MLP, optimizer) -> None:
    x = images(3, 1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(tf.constant([1, 2, 3]), model(x)))
    grads = tape.gradient(loss, model.variables)
    optimizer.apply_gradients(zip(grads, model.variables))


# ---------------------------------------------------------------- pickle


@pytest.mark.claim("checkpoint.variable-not-picklable")
def test_variable_cannot_be_pickled(measured):
    variable = tf.Variable([1.0, 2.0])
    try:
        data = pickle.dumps(variable)
    except Exception as exc:  # noqa: BLE001 - any error will do: the claim is that pickling fails
        measured("pickle.dumps(tf.Variable) raises", type(exc).__name__)
        return
    restored = pickle.loads(data)
    measured("pickle round trip of tf.Variable([1., 2.])", f"{type(restored).__name__} {as_list(restored)}")
    assert False, f"pickle.dumps(tf.Variable) succeeded; pickle.loads gave {type(restored).__name__} {as_list(restored)}"


def as_list(value) -> list:
    return np.asarray(value).tolist()


# ---------------------------------------------------------------- what save() writes


@pytest.mark.claim("checkpoint.save-writes-files")
def test_first_save_writes_three_files(tmp_path):
    model = called_mlp()
    checkpoint = tf.train.Checkpoint(model=model, optimizer=tf.keras.optimizers.Adam(learning_rate=0.001))
    prefix = str(tmp_path / "model.ckpt")
    path = checkpoint.save(file_prefix=prefix)
    assert path == prefix + "-1", path
    expected = ref.Directory()
    ref.Checkpoint().save(expected, "model.ckpt")
    assert disk_files(tmp_path) == expected.files() == {
        "checkpoint", "model.ckpt-1.index", "model.ckpt-1.data-00000-of-00001"
    }, disk_files(tmp_path)


@pytest.mark.claim("checkpoint.state-file-content", "checkpoint.numbering-from-one")
def test_each_save_adds_one_and_keeps_earlier_files(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(0.0))
    expected, counter = ref.Directory(), ref.Checkpoint()
    prefix = str(tmp_path / "model.ckpt")
    for _ in range(10):
        checkpoint.v.assign_add(1.0)
        path = checkpoint.save(file_prefix=prefix)
        name = counter.save(expected, "model.ckpt")
        assert path == str(tmp_path / name), (path, name)
        assert disk_files(tmp_path) == expected.files(), sorted(disk_files(tmp_path) ^ expected.files())
        assert state_file_path_lines(tmp_path) == expected.state_file_lines()


@pytest.mark.claim("checkpoint.latest-checkpoint")
def test_latest_checkpoint_is_number_ten(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(0.0))
    for _ in range(10):
        checkpoint.save(file_prefix=str(tmp_path / "model.ckpt"))
    got = tf.train.latest_checkpoint(checkpoint_dir=str(tmp_path))
    assert got == str(tmp_path / "model.ckpt-10"), got


@pytest.mark.claim("checkpoint.parameters-only")
def test_checkpoint_holds_values_not_computation(tmp_path):
    model = called_mlp()
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
    one_adam_step(model, optimizer)
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(str(tmp_path / "model.ckpt"))
    keys = saved_keys(path)
    others = [k for k in keys if k != "_CHECKPOINTABLE_OBJECT_GRAPH" and not k.endswith("/.ATTRIBUTES/VARIABLE_VALUE")]
    assert not others, f"keys that are not variable values: {others}"
    model_values = [k for k in keys if k.startswith("model/")]
    assert len(model_values) == len(model.variables) == 4, model_values
    assert not any(f.endswith((".pb", ".pbtxt", ".meta")) for f in disk_files(tmp_path)), disk_files(tmp_path)


# ---------------------------------------------------------------- which objects round-trip


@pytest.mark.claim("checkpoint.saveable-objects-round-trip")
def test_variable_layer_model_optimizer_round_trip(tmp_path):
    def make(seed):
        variable = tf.Variable(np.random.default_rng(seed).standard_normal((3, 2)).astype(np.float32))
        layer = tf.keras.layers.Dense(4)
        layer(tf.ones([1, 5]) * seed)
        model = called_mlp(seed)
        optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
        return variable, layer, model, optimizer

    variable, layer, model, optimizer = make(1)
    one_adam_step(model, optimizer)  # slots and the iteration count now hold non-initial values
    saved = {"a_variable": variable, "any_layer_name": layer, "the_model": model, "opt": optimizer}
    path = tf.train.Checkpoint(**saved).save(str(tmp_path / "objects"))

    variable2, layer2, model2, optimizer2 = make(2)
    optimizer2.build(model2.trainable_variables)  # create the slots to restore into
    fresh = {"a_variable": variable2, "any_layer_name": layer2, "the_model": model2, "opt": optimizer2}
    before = {k: values(getattr(o, "variables", [o])) for k, o in fresh.items()}
    tf.train.Checkpoint(**fresh).restore(path).assert_existing_objects_matched()
    for key in saved:
        expected = values(getattr(saved[key], "variables", [saved[key]]))
        got = values(getattr(fresh[key], "variables", [fresh[key]]))
        assert_values_equal(got, expected, what=key)
        assert any(not np.array_equal(b, e) for b, e in zip(before[key], expected)), f"{key}: nothing to restore"


BIT_EXACT_DTYPES = (np.float32, np.float64, np.int32)
bit_exact_arrays = st.sampled_from(BIT_EXACT_DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
)


@pytest.fixture(scope="module")
def round_trip_pairs(tmp_path_factory):
    """Per dtype a (source, target) pair of shape-agnostic variables, each in its own Checkpoint,
    and one file prefix: reusing them keeps TensorFlow from tracing a new save function for every
    hypothesis example (~0.1 s each)."""
    directory = tmp_path_factory.mktemp("bits")
    pairs = {}
    for dtype in BIT_EXACT_DTYPES:
        source = tf.Variable(np.zeros(0, dtype), shape=tf.TensorShape(None))
        target = tf.Variable(np.zeros(0, dtype), shape=tf.TensorShape(None))
        pairs[np.dtype(dtype)] = (tf.train.Checkpoint(v=source), tf.train.Checkpoint(v=target),
                                  str(directory / np.dtype(dtype).name))
    return pairs


@pytest.mark.claim("checkpoint.values-round-trip-bit-exact")
@given(array=bit_exact_arrays)
def test_values_round_trip_bit_for_bit(round_trip_pairs, array):
    source, target, prefix = round_trip_pairs[array.dtype]
    source.v.assign(array)
    target.v.assign(np.full_like(array, 7))
    path = source.save(prefix)
    target.restore(path)
    got = target.v.numpy()
    # Compare the bytes: NaN payloads, signed zeros and subnormals included.
    assert got.dtype == array.dtype and got.shape == array.shape, (got.dtype, got.shape)
    assert got.tobytes() == array.tobytes(), f"saved {array!r}, restored {got!r}"


# ---------------------------------------------------------------- only created variables are saved


def model_keys(path: str) -> list[str]:
    return [k for k in saved_keys(path) if k.startswith("model/")]


@pytest.mark.claim("checkpoint.only-created-variables-saved")
def test_only_created_variables_are_saved(tmp_path):
    model = MLP()
    assert model.variables == [], model.variables
    checkpoint = tf.train.Checkpoint(model=model)
    before = checkpoint.save(str(tmp_path / "model.ckpt"))
    assert model_keys(before) == [], model_keys(before)
    model(images(1))
    after = checkpoint.save(str(tmp_path / "model.ckpt"))
    keys = model_keys(after)
    assert len(keys) == 4 and all(re.match(r"model/dense[12]/_?(kernel|bias)/", k) for k in keys), keys


@pytest.mark.claim("checkpoint.build-creates-variables")
def test_build_creates_the_variables(tmp_path, measured):
    model = MLP()
    model.build(input_shape=[64, 28 * 28])
    measured("variables after build()", len(model.variables), handbook=4)
    assert len(model.variables) == 4, f"build() created {len(model.variables)} variables, expected 4"
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "model.ckpt"))
    assert len(model_keys(path)) == 4, model_keys(path)


# ---------------------------------------------------------------- restore


@pytest.mark.claim("checkpoint.restore-numbered-path")
def test_restore_a_numbered_save(tmp_path):
    model = called_mlp()
    checkpoint = tf.train.Checkpoint(model=model)
    first_values = values(model.variables)
    first = checkpoint.save(file_prefix=str(tmp_path / "model.ckpt"))
    for _ in range(2):
        for v in model.variables:
            v.assign_add(tf.ones_like(v))
        checkpoint.save(file_prefix=str(tmp_path / "model.ckpt"))
    assert first == str(tmp_path / "model.ckpt-1")
    checkpoint.restore(save_path=str(tmp_path / "model.ckpt-1"))
    assert_values_equal(values(model.variables), first_values, what="variables after restore of save 1")


@pytest.fixture
def trained_and_saved(tmp_path):
    """An MLP and Adam after one step, saved the handbook's way into tmp_path/saved; returns
    (model, optimizer, directory)."""
    model, optimizer = called_mlp(3), tf.keras.optimizers.Adam(learning_rate=0.001)
    one_adam_step(model, optimizer)
    directory = tmp_path / "saved"
    tf.train.Checkpoint(model=model, optimizer=optimizer).save(file_prefix=str(directory / "model.ckpt"))
    return model, optimizer, directory


@pytest.mark.claim("checkpoint.handbook-restore-snippet")
def test_handbook_restore_snippet(trained_and_saved, measured):
    model, _, directory = trained_and_saved
    saved_model = MLP()
    saved_model.build(input_shape=[64, 28 * 28])
    saved_optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
    checkpoint = tf.train.Checkpoint(model=saved_model, optimizer=saved_optimizer)
    latest_path = tf.train.latest_checkpoint(checkpoint_dir=str(directory))
    assert latest_path == str(directory / "model.ckpt-1"), latest_path
    checkpoint.restore(save_path=latest_path)
    measured("variables of the restored MLP", len(saved_model.variables), handbook=4)
    # The snippet never calls the model; its variables must already hold the saved values.
    assert_values_equal(values(saved_model.variables), values(model.variables), what="restored MLP variables")


DRAW_SEED = 20260301  # the initializers' seed for the models built before a restore
MLP_VARIABLES = ["dense1.kernel", "dense1.bias", "dense2.kernel", "dense2.bias"]


def variables_by_name(model) -> list[np.ndarray]:
    """The MLP's variables in MLP_VARIABLES' order, by attribute (Keras' variable names vary)."""
    return [getattr(getattr(model, layer), part).numpy() for layer, part in (n.split(".") for n in MLP_VARIABLES)]


def outputs_equal_an_unrestored_mlp(model, x) -> bool:
    """Whether `model` (built after tf.keras.utils.set_random_seed(DRAW_SEED)) computes exactly what an
    MLP drawn from the same seed and never restored computes on x."""
    tf.keras.utils.set_random_seed(DRAW_SEED)
    unrestored = MLP()
    return bool(np.array_equal(model(x).numpy(), unrestored(x).numpy()))


@pytest.mark.claim("checkpoint.deferred-restore")
def test_restore_before_variables_exist_is_deferred(trained_and_saved, measured):
    model, _, directory = trained_and_saved
    tf.keras.utils.set_random_seed(DRAW_SEED)
    fresh = MLP()
    assert fresh.variables == []
    tf.train.Checkpoint(model=fresh).restore(tf.train.latest_checkpoint(str(directory)))
    x = images(5, 9)
    measured("largest output difference, restored before the first call vs saved", largest_difference(fresh(x), model(x)),
             handbook=0.0)
    # What the restore did, variable by variable, not only that the outputs differ: a variable it
    # missed holds the initializer's draw, the same as in an MLP built from the same seed and never
    # restored.
    tf.keras.utils.set_random_seed(DRAW_SEED)
    unrestored = MLP()
    unrestored(x)
    measured("variables not restored (the initializers' draws)",
             [name for name, f, u in zip(MLP_VARIABLES, variables_by_name(fresh), variables_by_name(unrestored))
              if np.array_equal(f, u)], handbook=[])
    measured("variables holding the saved values",
             [name for name, f, m in zip(MLP_VARIABLES, variables_by_name(fresh), variables_by_name(model))
              if np.array_equal(f, m)], handbook=MLP_VARIABLES)
    assert_exact(fresh(x), model(x), what="outputs of the model restored before its first call")
    assert_values_equal(values(fresh.variables), values(model.variables), what="variables after the first call")


@pytest.mark.claim("checkpoint.graph-mode")
def test_checkpoint_in_graph_mode(tmp_path):
    with tf.Graph().as_default():
        variable = tf.compat.v1.get_variable("v", initializer=tf.constant([1.0, 2.0]), use_resource=True)
        checkpoint = tf.train.Checkpoint(v=variable)
        with tf.compat.v1.Session() as session, session.as_default():
            session.run(variable.initializer)
            path = checkpoint.save(str(tmp_path / "graph"))
            session.run(variable.assign([9.0, 9.0]))
            checkpoint.restore(path).run_restore_ops()
            got = session.run(variable)
    assert path == str(tmp_path / "graph-1"), path
    assert_exact(got, np.array([1.0, 2.0], np.float32), what="variable restored in graph mode")


# ---------------------------------------------------------------- save_weights / load_weights


@pytest.mark.claim("checkpoint.save-weights-plain-prefix")
def test_save_weights_to_a_plain_prefix(tmp_path):
    model = called_mlp()
    prefix = str(tmp_path / "weights")
    model.save_weights(prefix)
    assert any(f.startswith("weights") for f in disk_files(tmp_path)), disk_files(tmp_path)
    # What was written: a TF checkpoint holding the MLP's four variables, which load back exactly.
    shapes = sorted(tuple(shape) for name, shape in tf.train.list_variables(prefix) if name.endswith("VARIABLE_VALUE"))
    assert shapes == sorted([(784, 100), (100,), (100, 10), (10,)]), f"the checkpoint at {prefix} holds {shapes}"
    fresh = called_mlp(1)
    fresh.load_weights(prefix)
    x = images(5, 8)
    assert_exact(fresh(x), model(x), what="outputs after load_weights from the plain prefix")


def weights_files_this_install_writes(model: MLP, directory) -> list[str]:
    """Save `model`'s weights in every format this install accepts: HDF5 (`.weights.h5`, all
    versions) and the TF checkpoint format (a plain prefix; Keras 2 only)."""
    paths = [str(directory / "mlp.weights.h5")]
    model.save_weights(paths[0])
    try:
        model.save_weights(str(directory / "mlp_tf"))
        paths.append(str(directory / "mlp_tf"))
    except ValueError:  # Keras 3 takes only .weights.h5 (claim checkpoint.save-weights-plain-prefix)
        pass
    return paths


@pytest.mark.claim("checkpoint.load-weights-before-build-fails")
def test_load_weights_right_after_instantiation_fails(tmp_path, measured):
    model = called_mlp()
    paths = weights_files_this_install_writes(model, tmp_path)
    x = images(5, 8)
    for path in paths:  # the control: each file is good, it loads into a called MLP
        called = called_mlp(1)
        called.load_weights(path)
        assert_exact(called(x), model(x), what=f"outputs after model(x) then load_weights({os.path.basename(path)})")
    loaded_without_error = []
    for path in paths:
        try:
            MLP().load_weights(path)
        except (ValueError, AssertionError, tf.errors.OpError):
            continue
        loaded_without_error.append(os.path.basename(path))
    measured("files load_weights took before the first call", loaded_without_error, handbook=[])
    assert not loaded_without_error, f"load_weights on an unbuilt MLP raised nothing for {loaded_without_error}"


@pytest.mark.claim("checkpoint.load-weights-after-call")
def test_load_weights_after_a_call(tmp_path):
    model = called_mlp(4)
    x = images(5, 8)
    for path in weights_files_this_install_writes(model, tmp_path):
        fresh = MLP()
        fresh(x)
        fresh.load_weights(path)
        assert_exact(fresh(x), model(x), what=f"outputs after model(x) then load_weights({os.path.basename(path)})")


@pytest.mark.claim("checkpoint.load-weights-after-build")
def test_load_weights_after_build(tmp_path, measured):
    model = called_mlp(5)
    x = images(5, 8)
    outputs, unrestored = {}, {}
    for path in weights_files_this_install_writes(model, tmp_path):
        tf.keras.utils.set_random_seed(DRAW_SEED)
        fresh = MLP()
        fresh.build(input_shape=x.shape)
        fresh.load_weights(path)
        outputs[os.path.basename(path)] = fresh(x)
        unrestored[os.path.basename(path)] = outputs_equal_an_unrestored_mlp(fresh, x)
    measured("largest output difference after build() then load_weights", max(
        largest_difference(out, model(x)) for out in outputs.values()), handbook=0.0)
    measured("outputs equal those of an MLP never loaded", all(unrestored.values()), handbook=False,
             note=f"per file: {unrestored}")
    for name, out in outputs.items():
        assert_exact(out, model(x), what=f"outputs after build() then load_weights({name})")
