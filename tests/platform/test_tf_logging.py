"""tf.logging against TensorFlow's: the same records (logger, level, message, caller's file and line)."""

from __future__ import annotations

import logging

import pytest

import torchmeta as tm


def _emit(tf_logging):
    """Logs through ``tf_logging``; every call is on its own line of this file, so callers can be compared."""
    tf_logging.set_verbosity(tf_logging.DEBUG)
    tf_logging.debug("debug %d", 1)
    tf_logging.info("info %s", "x")
    tf_logging.warning("warning")
    tf_logging.warn("warn")
    tf_logging.error("error %r", [1])
    tf_logging.fatal("fatal")
    tf_logging.log(tf_logging.INFO, "log %d", 2)
    tf_logging.vlog(tf_logging.WARN, "vlog")
    tf_logging.log_if(tf_logging.INFO, "if true", True)
    tf_logging.log_if(tf_logging.INFO, "if false", False)
    for i in range(7):
        tf_logging.log_every_n(tf_logging.INFO, "every %d", 3, i)
    for i in range(5):
        tf_logging.log_first_n(tf_logging.INFO, "first %d", 2, i)
    tf_logging.set_verbosity(tf_logging.WARN)
    level = tf_logging.get_verbosity()
    tf_logging.info("hidden")
    tf_logging.error("shown")
    return level


def _records(caplog, tf_logging):
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tensorflow"):
        level = _emit(tf_logging)
    out = []
    for r in caplog.records:
        # TensorFlow's fatal() goes through Logger.fatal, whose extra frame makes the record name
        # tf_logging.py itself; torchmeta's names the caller. The rest must agree.
        where = (r.filename, r.funcName, r.lineno) if r.levelname != "CRITICAL" else None
        out.append((r.name, r.levelname, r.getMessage(), where))
    return level, out


def test_records_match_tensorflow(tf1, caplog):
    theirs = _records(caplog, tf1.logging)
    ours = _records(caplog, tm.logging)
    assert ours == theirs
    assert ours[1][0] == ("tensorflow", "DEBUG", "debug 1", ("test_tf_logging.py", "_emit", 15))
    assert [m for _, _, m, _ in ours[1] if m.startswith("every")] == ["every 0", "every 3", "every 6"]
    # log_first_n shares log_every_n's counter here: TensorFlow keys both by the first frame outside the
    # calling file, which is the same for every call from this file.
    assert not [m for _, _, m, _ in ours[1] if m.startswith("first")]


def test_fatal_names_the_caller(caplog):
    with caplog.at_level(logging.DEBUG, logger="tensorflow"):
        tm.logging.fatal("stop")
    assert caplog.records[-1].filename == "test_tf_logging.py"


def test_constants_and_logger_are_tensorflows(tf1):
    for name in ("DEBUG", "INFO", "WARN", "ERROR", "FATAL"):
        assert getattr(tm.logging, name) == getattr(tf1.logging, name)
    assert tm.get_logger() is logging.getLogger("tensorflow") is tf1.get_logger()


def test_google2_log_prefix_format():
    prefix = tm.logging.google2_log_prefix(tm.logging.INFO, timestamp=0.5, file_and_line=("/a/b/model.py", 42))
    assert prefix.startswith("I") and prefix.endswith(" model.py:42] ")
    assert ".500000 " in prefix


@pytest.fixture(autouse=True)
def _restore_level():
    logger = logging.getLogger("tensorflow")
    level = logger.level
    yield
    logger.setLevel(level)
