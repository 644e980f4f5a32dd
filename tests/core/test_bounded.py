"""portal.core.bounded: work in a forked child comes back, or is stopped at its deadline, its
memory cap or its result's size, without the parent growing; a child may ask for more time."""
import time

import pytest

from portal.core import bounded

MB = 2**20


def test_the_result_and_an_exception_come_back():
    assert bounded.run(lambda: [("a", 1, None)] * 3, 1.0, 50 * MB, MB) == [("a", 1, None)] * 3

    def fail():
        raise ValueError("rusak")
    with pytest.raises(ValueError, match="rusak"):
        bounded.run(fail, 1.0, 50 * MB, MB)


def test_the_deadline_kills_the_child():
    started = time.perf_counter()
    with pytest.raises(bounded.Exceeded) as exceeded:
        bounded.run(lambda: time.sleep(30), 0.3, 50 * MB, MB)
    assert exceeded.value.kind == "time" and 0.3 <= time.perf_counter() - started < 1.0
    assert exceeded.value.seconds == pytest.approx(0.3)


def test_more_time_asked_for_is_given_up_to_the_most():
    def slow(asked):
        bounded.allow(asked)
        time.sleep(0.5)
        return "selesai"
    assert bounded.run(lambda: slow(1.0), 0.2, 50 * MB, MB, most=2.0) == "selesai"
    with pytest.raises(bounded.Exceeded) as exceeded:
        bounded.run(lambda: slow(60.0), 0.1, 50 * MB, MB, most=0.3)
    assert exceeded.value.seconds == pytest.approx(0.3)
    bounded.allow(5.0)  # outside a child: nothing to tell


def test_memory_and_result_size_are_capped():
    with pytest.raises(bounded.Exceeded) as exceeded:
        bounded.run(lambda: len(bytearray(400 * MB)), 5.0, 100 * MB, MB)
    assert exceeded.value.kind == "memory"
    with pytest.raises(bounded.Exceeded) as exceeded:
        bounded.run(lambda: b"x" * (2 * MB), 5.0, 100 * MB, MB)
    assert exceeded.value.kind == "size"
