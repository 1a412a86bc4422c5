"""Offline data: where the folder comes from, skips that name what is missing, checksum failures."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.data_plugin import ENV_VAR, KNOWN_FILES, configured_data_dir, sha256_of
from spec.meta.inner_sessions import QUIET, use_plugins

pytestmark = pytest.mark.meta

SHARED_DATA = Path("/work/shared/data")

USES_DATA_DIR = """
def test_reads_folder(data_dir):
    assert (data_dir / "marker.txt").read_text() == "here"
"""

USES_FILE = """
def test_reads_file(local_data_file):
    path = local_data_file({name!r})
    assert path.name == {name!r}
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    use_plugins(pytester, "fixtures.data_plugin")

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess(*QUIET, "-rs", *args)

    return run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "marker.txt").write_text("here")
    return data


def test_without_a_data_folder_the_test_skips_naming_the_option(pytester, inner):
    pytester.makepyfile(test_folder=USES_DATA_DIR)
    result = inner()
    result.assert_outcomes(skipped=1)
    text = result.stdout.str()
    assert "--data-dir" in text and ENV_VAR in text


def test_the_option_names_the_folder(pytester, inner, folder):
    pytester.makepyfile(test_folder=USES_DATA_DIR)
    inner(f"--data-dir={folder}").assert_outcomes(passed=1)


def test_the_environment_variable_names_the_folder(pytester, inner, folder, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(folder))
    pytester.makepyfile(test_folder=USES_DATA_DIR)
    inner().assert_outcomes(passed=1)


def test_the_option_wins_over_the_environment_variable(pytester, inner, folder, monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere"))
    pytester.makepyfile(test_folder=USES_DATA_DIR)
    inner(f"--data-dir={folder}").assert_outcomes(passed=1)


def test_a_folder_that_does_not_exist_skips_naming_it(pytester, inner, tmp_path):
    missing = tmp_path / "not-there"
    pytester.makepyfile(test_folder=USES_DATA_DIR)
    result = inner(f"--data-dir={missing}")
    result.assert_outcomes(skipped=1)
    assert "does not exist" in result.stdout.str()


def test_a_missing_file_skips_naming_the_file(pytester, inner, folder):
    pytester.makepyfile(test_file=USES_FILE.format(name="nietzsche.txt"))
    result = inner(f"--data-dir={folder}")
    result.assert_outcomes(skipped=1)
    text = result.stdout.str()
    assert "nietzsche.txt not found" in text and "--data-dir" in text


def test_an_unknown_file_is_served_without_a_checksum(pytester, inner, folder):
    pytester.makepyfile(test_file=USES_FILE.format(name="marker.txt"))
    inner(f"--data-dir={folder}").assert_outcomes(passed=1)


def test_a_known_file_with_the_wrong_content_fails_on_its_checksum(pytester, inner, folder):
    (folder / "mnist.npz").write_bytes(b"not the mnist archive")
    pytester.makepyfile(test_file=USES_FILE.format(name="mnist.npz"))
    result = inner(f"--data-dir={folder}")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "sha256" in text and KNOWN_FILES["mnist.npz"] in text


def test_configured_data_dir_resolves_the_path(pytester, monkeypatch, folder):
    monkeypatch.setenv(ENV_VAR, str(folder / ".." / "data"))
    config = pytester.parseconfig("-p", "fixtures.data_plugin")
    assert configured_data_dir(config) == folder.resolve()
    monkeypatch.delenv(ENV_VAR)
    assert configured_data_dir(config) is None


def test_sha256_of_a_small_file(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("name", sorted(KNOWN_FILES))
def test_the_shared_data_matches_the_known_checksums(name):
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not present on this machine")
    assert sha256_of(path) == KNOWN_FILES[name]
