"""Assertions whose failure messages carry what a reader needs: expected, got, tolerance, device, dtype."""
from __future__ import annotations

import numpy as np

from fixtures.devices_plugin import assert_on_device  # noqa: F401  (re-exported for the spec modules)
from fixtures.tolerances import rtol_for


def as_numpy(value) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def largest_difference(got, expected) -> float:
    """max |got − expected| over the elements, in float64 (inf where the shapes differ)."""
    got_np, expected_np = as_numpy(got), as_numpy(expected)
    if got_np.shape != expected_np.shape:
        return float("inf")
    return float(np.max(np.abs(got_np.astype(np.float64) - expected_np.astype(np.float64)), initial=0.0))


def assert_exact(got, expected, *, what: str, device=None, dtype=None) -> None:
    """Same shape, same dtype (if given), the same values bit for bit."""
    __tracebackhide__ = True
    got_np = as_numpy(got)
    expected_np = np.asarray(expected)
    where = f" on {device.id}" if device is not None else ""
    if dtype is not None:
        assert got_np.dtype == np.dtype(dtype), f"{what}{where}: dtype {got_np.dtype}, expected {np.dtype(dtype)}"
    assert got_np.shape == expected_np.shape, f"{what}{where}: shape {got_np.shape}, expected {expected_np.shape}"
    assert np.array_equal(got_np, expected_np), (
        f"{what}{where}: expected exactly\n{expected_np!r}\ngot\n{got_np!r} (dtype {got_np.dtype})"
    )
    if got_np.dtype.kind == "f" or expected_np.dtype.kind == "f":  # array_equal says −0.0 == +0.0
        assert np.array_equal(np.signbit(got_np), np.signbit(expected_np)), (
            f"{what}{where}: signs of zero differ: expected\n{expected_np!r}\ngot\n{got_np!r}"
        )


def assert_close(got, expected, *, what: str, rtol: float | None = None, atol: float = 0.0, device=None) -> None:
    """Within rtol·|expected| + atol elementwise; rtol defaults to the dtype's table entry."""
    __tracebackhide__ = True
    got_np = as_numpy(got)
    expected_np = np.asarray(expected, dtype=np.float64)
    if rtol is None:
        rtol = rtol_for(got_np.dtype)
    where = f" on {device.id}" if device is not None else ""
    assert got_np.shape == expected_np.shape, f"{what}{where}: shape {got_np.shape}, expected {expected_np.shape}"
    error = np.abs(got_np.astype(np.float64) - expected_np)
    bound = rtol * np.abs(expected_np) + atol  # atol may be an array: a bound per element
    assert np.all(error <= bound), (
        f"{what}{where}: expected {expected_np!r}, got {got_np!r} (dtype {got_np.dtype}); "
        f"max error {error.max():.3g} exceeds rtol {rtol:g}, atol {np.max(atol):g}"
    )


def assert_printed(capsys, expected: str, *, what: str) -> str:
    """What print() wrote since the last read equals the handbook's text (trailing newline aside)."""
    __tracebackhide__ = True
    out = capsys.readouterr().out.rstrip("\n")
    assert out == expected, f"{what}: the handbook prints\n{expected}\nthis install prints\n{out}"
    return out
