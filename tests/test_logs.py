"""The site's log handler: no request thread waits for another's write, and every line is written once, in order."""
import io
import logging
import os
import threading

import pytest

from pybossa_core.logs import CombiningStreamHandler

WAIT = 10


class HeldStream(io.StringIO):
    """A stream whose next write waits until the test lets it go on, counting the writes."""

    def __init__(self, target=None):
        super().__init__()
        self.target = target
        self.writes = 0
        self.hold_next = False
        self.entered, self.go_on = threading.Event(), threading.Event()

    def write(self, text):
        if self.hold_next:
            self.hold_next = False
            self.entered.set()
            assert self.go_on.wait(WAIT)
        self.writes += 1
        if self.target is not None:
            self.target.write(text)
            self.target.flush()
        return super().write(text)


@pytest.fixture
def logger():
    logger = logging.getLogger("tests.combining")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def handler_on(logger, stream):
    handler = CombiningStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return stream


def in_thread(function):
    thread = threading.Thread(target=function)
    thread.start()
    return thread


def test_a_line_is_written_before_the_call_that_logged_it_returns(logger):
    stream = handler_on(logger, HeldStream())
    logger.info("one request")
    assert stream.getvalue() == "one request\n"
    logger.info("another")
    assert (stream.getvalue(), stream.writes) == ("one request\nanother\n", 2)


def test_a_thread_leaves_its_line_to_the_write_under_way_and_goes_on(logger):
    stream = handler_on(logger, HeldStream())
    stream.hold_next = True
    writer = in_thread(lambda: logger.info("first"))
    assert stream.entered.wait(WAIT)
    others = in_thread(lambda: [logger.info("second"), logger.info("third")])
    others.join(WAIT)
    assert not others.is_alive(), "a thread waited for another's write"
    assert stream.getvalue() == ""
    stream.go_on.set()
    writer.join(WAIT)
    # The writer looked again before it stopped: the lines left to it went in one more write.
    assert (stream.getvalue(), stream.writes) == ("first\nsecond\nthird\n", 2)


def test_lines_of_many_threads_are_each_written_once_and_whole(logger):
    stream = handler_on(logger, HeldStream())
    threads = [in_thread(lambda number=number: [logger.info("thread %d line %d", number, line) for line in range(200)])
               for number in range(8)]
    for thread in threads:
        thread.join(WAIT)
    lines = stream.getvalue().splitlines()
    assert sorted(lines) == sorted(f"thread {number} line {line}" for number in range(8) for line in range(200))
    for number in range(8):
        assert [line for line in lines if line.startswith(f"thread {number} ")] == [
            f"thread {number} line {line}" for line in range(200)]


def test_a_child_forked_during_a_write_writes_only_its_own_lines(logger, tmp_path):
    with open(tmp_path / "log", "w") as target:
        stream = handler_on(logger, HeldStream(target))
        stream.hold_next = True
        writer = in_thread(lambda: logger.info("first"))
        assert stream.entered.wait(WAIT)
        logger.info("second")  # left to the writer
        child = os.fork()
        if child == 0:
            logger.info("in the child")
            os._exit(0)
        assert os.waitpid(child, 0)[1] == 0
        stream.go_on.set()
        writer.join(WAIT)
    assert (tmp_path / "log").read_text().splitlines() == ["in the child", "first", "second"]
