"""``tf.logging``: TensorFlow's logging functions on Python's ``logging``, through the ``tensorflow`` logger.

As in TensorFlow, the logger is named ``tensorflow`` (so ``logging.getLogger("tensorflow")`` settings and
the familiar ``INFO:tensorflow:...`` lines apply), records name the caller's file and line, and when the
root logger has no handler one stream handler with ``logging.BASIC_FORMAT`` is added (stdout in an
interactive session, which also starts at INFO; stderr otherwise, where the default level is WARNING).
"""

from __future__ import annotations

import logging as _logging
import os as _os
import sys as _sys
import threading as _threading
import time as _time
import traceback as _traceback
from logging import DEBUG, ERROR, FATAL, INFO, WARN

__all__ = [
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "get_logger",
    "log",
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "fatal",
    "vlog",
    "log_if",
    "log_every_n",
    "log_first_n",
    "get_verbosity",
    "set_verbosity",
    "flush",
    "TaskLevelStatusMessage",
    "google2_log_prefix",
]

_logger = None
_logger_lock = _threading.Lock()


def _get_caller(offset=3):
    """The code and frame of the first stack frame outside this file."""
    f = _sys._getframe(offset)
    our_file = f.f_code.co_filename
    f = f.f_back
    while f:
        code = f.f_code
        if code.co_filename != our_file:
            return code, f
        f = f.f_back
    return None, None


def _logger_find_caller(stack_info=False, stacklevel=1):
    code, frame = _get_caller(4)
    sinfo = "\n".join(_traceback.format_stack()) if stack_info else None
    if code:
        return (code.co_filename, frame.f_lineno, code.co_name, sinfo)
    return "(unknown file)", 0, "(unknown function)", sinfo


def get_logger() -> _logging.Logger:
    """The ``tensorflow`` logger (created and given a handler on first use, as TensorFlow does)."""
    global _logger
    if _logger:
        return _logger
    with _logger_lock:
        if _logger:
            return _logger
        logger = _logging.getLogger("tensorflow")
        logger.findCaller = _logger_find_caller
        # TensorFlow may have set this logger up already in this process; one handler is enough.
        if not _logging.getLogger().handlers and not logger.handlers:
            interactive = hasattr(_sys, "ps1") or bool(_sys.flags.interactive)
            if interactive:
                logger.setLevel(INFO)
                target = _sys.stdout
            else:
                target = _sys.stderr
            handler = _logging.StreamHandler(target)
            handler.setFormatter(_logging.Formatter(_logging.BASIC_FORMAT, None))
            logger.addHandler(handler)
        _logger = logger
        return _logger


def log(level, msg, *args, **kwargs):
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    get_logger().debug(msg, *args, **kwargs)


def error(msg, *args, **kwargs):
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    """Logs at FATAL (CRITICAL); like TensorFlow's, it does not exit."""
    # critical, not Logger.fatal: that alias adds a frame, so the record would name this file (TF's does).
    get_logger().critical(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    get_logger().info(msg, *args, **kwargs)


def warn(msg, *args, **kwargs):
    get_logger().warning(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    get_logger().warning(msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    get_logger().log(level, msg, *args, **kwargs)


def TaskLevelStatusMessage(msg):
    error(msg)


def flush():
    """Flushes the handlers of the ``tensorflow`` logger (TensorFlow's raises NotImplementedError)."""
    for handler in get_logger().handlers:
        handler.flush()


_log_counter_per_token: dict = {}


def _next_log_count(token) -> int:
    _log_counter_per_token[token] = 1 + _log_counter_per_token.get(token, -1)
    return _log_counter_per_token[token]


def _file_and_line():
    code, f = _get_caller()
    if not code:
        return ("<unknown>", 0)
    return (code.co_filename, f.f_lineno)


def log_if(level, msg, condition, *args):
    """Logs ``msg % args`` at ``level`` when ``condition`` holds."""
    if condition:
        vlog(level, msg, *args)


def log_every_n(level, msg, n, *args):
    """Logs the 1st, (n+1)th, (2n+1)th, ... call made from the same line."""
    count = _next_log_count(_file_and_line())
    log_if(level, msg, not (count % n), *args)


def log_first_n(level, msg, n, *args):
    """Logs only the first ``n`` calls made from the same line."""
    count = _next_log_count(_file_and_line())
    log_if(level, msg, count < n, *args)


_level_names = {FATAL: "FATAL", ERROR: "ERROR", WARN: "WARN", INFO: "INFO", DEBUG: "DEBUG"}


def google2_log_prefix(level, timestamp=None, file_and_line=None) -> str:
    """TensorFlow's ``I0102 15:04:05.123456  1234 file.py:42] `` line prefix."""
    now = timestamp or _time.time()
    t = _time.localtime(now)
    micros = int(1e6 * (now % 1.0))
    filename, line = file_and_line or _file_and_line()
    severity = _level_names.get(level, "I")[0]
    thread_id = _threading.get_ident() & (2 * _sys.maxsize + 1)
    return "%c%02d%02d %02d:%02d:%02d.%06d %5d %s:%d] " % (  # noqa: UP031 - TensorFlow's exact format
        severity,
        t[1],
        t[2],
        t[3],
        t[4],
        t[5],
        micros,
        thread_id,
        _os.path.basename(filename),
        line,
    )


def get_verbosity() -> int:
    """The effective level of the ``tensorflow`` logger."""
    return get_logger().getEffectiveLevel()


def set_verbosity(v) -> None:
    """Sets the level of the ``tensorflow`` logger (``tf.logging.INFO``, ``DEBUG``, ...)."""
    get_logger().setLevel(v)
