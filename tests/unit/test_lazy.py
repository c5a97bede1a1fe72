"""Lazy module bindings: nothing imported until used, and a first use from many threads is safe."""

from __future__ import annotations

import sys
import threading

import pytest

from chalicelib.lazy import lazy_import


def test_the_module_loads_on_first_use_only() -> None:
    sys.modules.pop("colorsys", None)
    bound = lazy_import("colorsys")
    assert "colorsys" not in sys.modules
    assert bound.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert "colorsys" in sys.modules


def test_unknown_modules_fail_at_binding_time() -> None:
    with pytest.raises(ModuleNotFoundError):
        lazy_import("chalicelib.no_such_module")


def test_a_first_use_from_many_threads_sees_the_whole_module() -> None:
    sys.modules.pop("chalicelib.accounts.users", None)
    bound = lazy_import("chalicelib.accounts.users")
    barrier = threading.Barrier(16)
    found: list[bool] = []

    def use() -> None:
        barrier.wait()
        found.append(callable(bound.register) and callable(bound.login_with_password))

    threads = [threading.Thread(target=use) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [True] * 16
