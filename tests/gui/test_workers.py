"""JobRunner: streams events, stops mid-way, reports exceptions, drops stale runs."""

from __future__ import annotations

import threading
import time

import pytest
import torch
from PySide6.QtCore import QThread

from gui.workers import JobRunner, describe_exception, shutdown_all


def counting_job(n, delay=0.0, thread_box=None):
    def job(control):
        if thread_box is not None:
            thread_box.append(threading.current_thread())
        for i in range(n):
            if control.should_stop():
                return
            time.sleep(delay)
            yield i
    return job


def test_runner_streams_all_events_on_ui_thread(qtbot):
    runner = JobRunner()
    got, threads, slot_threads = [], [], []

    def on_event(i):
        got.append(i)
        slot_threads.append(QThread.currentThread())

    runner.event.connect(on_event)
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.start(counting_job(20, thread_box=threads))
    assert got == list(range(20))
    assert blocker.args == [False]
    assert threads[0] is not threading.main_thread()  # ran in a worker
    assert all(t is QThread.currentThread() for t in slot_threads)  # delivered on UI
    assert not runner.is_running()


def test_runner_stops_mid_way(qtbot):
    runner = JobRunner()
    got = []

    def on_event(i):
        got.append(i)
        if i == 3:
            runner.stop()

    runner.event.connect(on_event)
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.start(counting_job(10_000, delay=0.002))
    assert blocker.args == [True]
    assert 4 <= len(got) < 100
    assert runner.wait(2000)


def test_runner_reports_exception(qtbot):
    def bad(control):
        yield 1
        raise ValueError("kernel size 7 is larger than the 5×5 input")

    runner = JobRunner()
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(bad)
    assert blocker.args == ["kernel size 7 is larger than the 5×5 input"]
    assert "ValueError" in runner.last_error_details
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=2000)


def test_new_run_supersedes_old_and_drops_stale_events(qtbot):
    runner = JobRunner()
    got = []
    runner.event.connect(got.append)
    runner.start(counting_job(10_000, delay=0.001))
    qtbot.wait(30)
    gen = runner.start(lambda control: iter(["fresh"]))
    assert gen == 2
    qtbot.waitUntil(lambda: "fresh" in got and not runner.is_running(), timeout=5000)
    qtbot.wait(50)
    assert got[-1] == "fresh"  # nothing from run 1 after run 2 started
    assert all(isinstance(x, int) for x in got[:-1])


def test_pause_and_resume(qtbot):
    runner = JobRunner()
    got = []
    runner.event.connect(got.append)
    runner.start(counting_job(10_000, delay=0.001))
    qtbot.waitUntil(lambda: len(got) > 5, timeout=3000)
    runner.pause()
    qtbot.wait(100)
    n = len(got)
    qtbot.wait(200)
    assert len(got) <= n + 2  # at most what was in flight
    runner.resume()
    qtbot.waitUntil(lambda: len(got) > n + 20, timeout=3000)
    runner.stop()
    assert runner.wait(3000)


def test_shutdown_all_waits(qtbot):
    runners = [JobRunner() for _ in range(2)]
    for r in runners:
        r.start(counting_job(100_000, delay=0.001))
    qtbot.wait(30)
    assert shutdown_all(5000)


def test_describe_exception():
    assert describe_exception(ValueError("bad lr")) == "bad lr"
    assert describe_exception(RuntimeError("CUDA out of memory")).startswith("Ran out of memory")
    assert "KeyError" in describe_exception(KeyError("x"))


def test_worker_priority_is_fixed_however_often_a_pool_thread_is_reused(qtbot):
    import os
    import sys

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread nice is Linux-only")
    main_nice = os.getpriority(os.PRIO_PROCESS, os.getpid())
    seen = []

    def job(control):
        yield os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    runner = JobRunner()
    runner.event.connect(seen.append)
    for _ in range(5):  # superqt's pool reuses its threads
        with qtbot.waitSignal(runner.finished, timeout=5000):
            runner.start(job)
    assert seen == [min(19, main_nice + 5)] * 5


def test_a_real_cpu_allocation_failure_is_explained(qtbot):
    def job(control):
        yield 0
        torch.empty(2**40)  # 4 TiB: the CPU allocator refuses ("can't allocate memory")

    runner = JobRunner()
    messages = []
    runner.failed.connect(messages.append)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(job)
    if not messages:
        pytest.skip("this machine over-commits memory: a 4 TiB torch.empty succeeded")
    assert messages[0].startswith("Ran out of memory — try a smaller batch size")
    assert "Unexpected error" not in messages[0]
