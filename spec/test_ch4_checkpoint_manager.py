"""四、TensorFlow常用模块 / （一）变量的保存与恢复 / tf.train.CheckpointManager: max_to_keep,
checkpoint_name, checkpoint_number, default numbering, and a state machine checking random save and
restart sequences against reference.checkpoint_manager (files on disk, state file, properties)."""
from __future__ import annotations

import os

import pytest
import tensorflow as tf
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from reference import checkpoint_manager as ref


def disk_files(directory) -> set[str]:
    return set(os.listdir(directory))


def state_file_path_lines(directory) -> list[str]:
    path = os.path.join(directory, "checkpoint")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.startswith(("model_checkpoint_path", "all_model_checkpoint_paths"))]


def assert_directory_is(directory, expected: ref.Directory) -> None:
    __tracebackhide__ = True
    got = disk_files(directory)
    assert got == expected.files(), (
        f"files on disk differ from the model: extra {sorted(got - expected.files())}, "
        f"missing {sorted(expected.files() - got)}"
    )
    assert state_file_path_lines(directory) == expected.state_file_lines(), (
        f"state file {state_file_path_lines(directory)}, model {expected.state_file_lines()}"
    )
    latest = tf.train.latest_checkpoint(str(directory))
    want = expected.latest_checkpoint()
    assert latest == (None if want is None else os.path.join(str(directory), want)), (latest, want)


@pytest.mark.claim("manager.max-to-keep")
def test_max_to_keep_three_deletes_older_files(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(0.0))
    manager = tf.train.CheckpointManager(checkpoint=checkpoint, directory=str(tmp_path),
                                         checkpoint_name="model.ckpt", max_to_keep=3)
    expected = ref.Directory()
    model = ref.CheckpointManager(ref.Checkpoint(), expected, max_to_keep=3, checkpoint_name="model.ckpt")
    for batch_index in (100, 200, 300, 400, 500):
        manager.save(checkpoint_number=batch_index)
        model.save(checkpoint_number=batch_index)
        assert_directory_is(tmp_path, expected)
    assert manager.checkpoints == [str(tmp_path / n) for n in ("model.ckpt-300", "model.ckpt-400", "model.ckpt-500")]
    for gone in (100, 200):
        assert not any(f.startswith(f"model.ckpt-{gone}.") for f in disk_files(tmp_path)), disk_files(tmp_path)


@pytest.mark.claim("manager.checkpoint-number-and-name")
def test_checkpoint_number_and_name(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(checkpoint=checkpoint, directory=str(tmp_path),
                                         checkpoint_name="model.ckpt", max_to_keep=3)
    path = manager.save(checkpoint_number=1234)
    assert path == str(tmp_path / "model.ckpt-1234"), path
    assert {"model.ckpt-1234.index", "model.ckpt-1234.data-00000-of-00001"} <= disk_files(tmp_path), disk_files(tmp_path)
    assert manager.latest_checkpoint == path == tf.train.latest_checkpoint(str(tmp_path))


@pytest.mark.claim("manager.default-numbering")
def test_default_numbering_from_one(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(checkpoint, directory=str(tmp_path), max_to_keep=None)
    paths = [manager.save() for _ in range(3)]
    assert paths == [str(tmp_path / f"ckpt-{n}") for n in (1, 2, 3)], paths


class ManagerMachine(RuleBasedStateMachine):
    """Saves with and without numbers and manager restarts on one directory, checked after every
    step against the model. A restart either keeps the Checkpoint (its save counter goes on) or
    takes a fresh one (counter back to 0, as in a new process)."""

    directory_factory = None  # set by the test: a function returning a new empty directory

    def __init__(self):
        super().__init__()
        self.directory = self.directory_factory()
        self.variable = tf.Variable(0.0)

    @initialize(max_to_keep=st.one_of(st.none(), st.integers(1, 3)), name=st.sampled_from(["ckpt", "model.ckpt"]))
    def start(self, max_to_keep, name):
        self.name = name
        self.checkpoint, self.counter = tf.train.Checkpoint(v=self.variable), ref.Checkpoint()
        self.expected = ref.Directory()
        self.open_manager(max_to_keep)

    def open_manager(self, max_to_keep):
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory=str(self.directory),
                                                  max_to_keep=max_to_keep, checkpoint_name=self.name)
        self.model = ref.CheckpointManager(self.counter, self.expected, max_to_keep=max_to_keep,
                                           checkpoint_name=self.name)

    @rule(number=st.one_of(st.none(), st.integers(0, 5)))
    def save(self, number):
        self.variable.assign_add(1.0)
        path = self.manager.save(checkpoint_number=number)
        name = self.model.save(checkpoint_number=number)
        assert path == os.path.join(str(self.directory), name), (path, name)

    @rule(fresh_checkpoint=st.booleans(), max_to_keep=st.one_of(st.none(), st.integers(1, 3)))
    def restart(self, fresh_checkpoint, max_to_keep):
        if fresh_checkpoint:
            self.checkpoint, self.counter = tf.train.Checkpoint(v=self.variable), ref.Checkpoint()
        self.open_manager(max_to_keep)

    @invariant()
    def disk_and_properties_match_the_model(self):
        assert_directory_is(self.directory, self.expected)
        join = lambda n: os.path.join(str(self.directory), n)  # noqa: E731
        assert self.manager.checkpoints == [join(n) for n in self.model.checkpoints], (
            self.manager.checkpoints, self.model.checkpoints)
        want = self.model.latest_checkpoint
        assert self.manager.latest_checkpoint == (None if want is None else join(want))


@pytest.mark.claim("manager.matches-model")
def test_manager_against_the_model(tmp_path_factory):
    ManagerMachine.directory_factory = staticmethod(lambda: tmp_path_factory.mktemp("manager"))
    # Every step writes checkpoint files (~50 ms here), so sequences are short and fewer than the
    # profile's example count: 8 steps reach deletions, repeated numbers and restarts.
    budget = settings(settings.default, max_examples=min(settings.default.max_examples, 12), stateful_step_count=8)
    run_state_machine_as_test(ManagerMachine, settings=budget)
