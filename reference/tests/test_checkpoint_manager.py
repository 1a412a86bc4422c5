"""The checkpoint numbering model against hand-worked sequences."""
import pytest

from reference.checkpoint_manager import (
    Checkpoint,
    CheckpointManager,
    Directory,
    checkpoint_files,
    saves_of_training_loop,
)


def test_checkpoint_save_numbers_from_one_and_keeps_everything():
    d, c = Directory(), Checkpoint()
    assert [c.save(d, "model.ckpt") for _ in range(3)] == ["model.ckpt-1", "model.ckpt-2", "model.ckpt-3"]
    assert d.saves == {"model.ckpt-1", "model.ckpt-2", "model.ckpt-3"}
    assert d.state_file_lines() == ['model_checkpoint_path: "model.ckpt-3"', 'all_model_checkpoint_paths: "model.ckpt-3"']
    assert d.latest_checkpoint() == "model.ckpt-3"
    assert d.files() == {"checkpoint"} | checkpoint_files("model.ckpt-1") | checkpoint_files("model.ckpt-2") | checkpoint_files("model.ckpt-3")


def test_empty_directory_has_no_files_and_no_latest():
    assert Directory().files() == set() and Directory().latest_checkpoint() is None


def test_manager_keeps_the_newest_three():
    d = Directory()
    m = CheckpointManager(Checkpoint(), d, max_to_keep=3, checkpoint_name="model.ckpt")
    for n in (100, 200, 300, 400):
        m.save(checkpoint_number=n)
    assert m.checkpoints == ["model.ckpt-200", "model.ckpt-300", "model.ckpt-400"]
    assert d.saves == set(m.checkpoints) and m.latest_checkpoint == "model.ckpt-400"


def test_counter_advances_even_with_numbers():
    c, d = Checkpoint(), Directory()
    m = CheckpointManager(c, d, max_to_keep=None)
    m.save(checkpoint_number=50)
    assert m.save() == "ckpt-2"  # the counter is 2 after two saves
    assert c.save_counter == 2 and m.checkpoints == ["ckpt-50", "ckpt-2"]


def test_resaving_a_name_moves_it_to_the_newest_end():
    d = Directory()
    m = CheckpointManager(Checkpoint(), d, max_to_keep=2)
    for n in (1, 2, 1, 3):
        m.save(checkpoint_number=n)
    assert m.checkpoints == ["ckpt-1", "ckpt-3"] and d.saves == {"ckpt-1", "ckpt-3"}


def test_restarted_manager_takes_over_the_list_and_sweeps_on_its_next_save():
    d, c = Directory(), Checkpoint()
    first = CheckpointManager(c, d, max_to_keep=None)
    for _ in range(4):
        first.save()
    second = CheckpointManager(Checkpoint(), d, max_to_keep=2)  # a fresh counter, as in a new process
    assert second.checkpoints == ["ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4"]
    assert second.latest_checkpoint == "ckpt-4"
    assert second.save() == "ckpt-1"  # counter restarts: overwrites ckpt-1, which becomes newest
    assert second.checkpoints == ["ckpt-4", "ckpt-1"] and d.saves == {"ckpt-1", "ckpt-4"}


def test_latest_is_the_last_save_not_the_largest_number():
    d = Directory()
    m = CheckpointManager(Checkpoint(), d, max_to_keep=5)
    m.save(checkpoint_number=10)
    m.save(checkpoint_number=3)
    assert d.latest_checkpoint() == "ckpt-3"


@pytest.mark.parametrize("bad", [0, -1])
def test_max_to_keep_must_be_positive(bad):
    with pytest.raises(ValueError):
        CheckpointManager(Checkpoint(), Directory(), max_to_keep=bad)


def test_training_loop_saves():
    # The section's first loop: range(1, num_batches), saves at multiples of 100 and the last index.
    assert saves_of_training_loop(range(1, 351), every=100, last=350) == [100, 200, 300, 350]
    # The TensorBoard example's loop starts at 0, so it also saves batch 0.
    assert saves_of_training_loop(range(0, 201), every=100, last=200) == [0, 100, 200]
