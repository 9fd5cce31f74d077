"""``tf.app``: ``run(main=None, argv=None)`` parses the flags, calls ``main(argv)`` and exits with its result.

TensorFlow's ``tf.compat.v1.app.run`` is ``absl.app.run`` with a parser that tolerates undefined flags:
the flags defined with ``tf.flags`` are parsed out of ``argv`` (``sys.argv`` by default), every other
argument (unknown ``--flags`` included) is passed on to ``main`` after the program name, and
``sys.exit(main(argv))`` ends the program. As in absl, ``--help``/``--helpshort``/``-?`` and
``--helpfull`` print the ``__main__`` module's docstring and the flags' help and exit with status 1,
``--only_check_args`` exits with 0 before ``main``, and absl's logging flags (``--logtostderr``,
``--verbosity``/``-v``, ...) are defined, so command lines written for TensorFlow programs parse the same.
"""

from __future__ import annotations

import contextlib
import logging as _logging
import sys as _sys

from torchmeta.platform import flags

__all__ = ["run", "flags", "usage"]

FLAGS = flags.FLAGS


class _HelpFlag(flags.BooleanFlag):
    def __init__(self, name="help", short_name="?"):
        super().__init__(name, False, "show this help", short_name=short_name, allow_hide_cpp=True)

    def parse(self, arg):
        if self._parse(arg):
            usage(shorthelp=True, writeto_stdout=True)
            print()
            print("Try --helpfull to get a list of all flags.")
            _sys.exit(1)


class _HelpfullFlag(flags.BooleanFlag):
    def __init__(self):
        super().__init__("helpfull", False, "show full help", allow_hide_cpp=True)

    def parse(self, arg):
        if self._parse(arg):
            usage(writeto_stdout=True)
            _sys.exit(1)


def _define_help_flags():
    """The flags absl's app.run defines before parsing."""
    if "help" in FLAGS:
        return
    module = "absl.app"
    flags.DEFINE_flag(_HelpFlag(), module_name=module)
    flags.DEFINE_flag(_HelpFlag("helpshort", None), module_name=module)
    flags.DEFINE_flag(_HelpfullFlag(), module_name=module)
    flags.DEFINE_boolean(
        "only_check_args", False, "Set to true to validate args and exit.", allow_hide_cpp=True, module_name=module
    )


def _define_logging_flags():
    """The flags absl.logging defines when imported, as it is in every TensorFlow program."""
    module = "absl.logging"
    flags.DEFINE_boolean("logtostderr", False, "Should only log to stderr?", module_name=module)
    flags.DEFINE_boolean("alsologtostderr", False, "also log to stderr?", module_name=module)
    flags.DEFINE_string("log_dir", "", "directory to write logfiles into", module_name=module)
    flags.DEFINE_flag(
        flags.Flag(
            flags.IntegerParser(),
            flags.ArgumentSerializer(),
            "verbosity",
            -1,
            "Logging verbosity level. Messages logged at this level or lower will be included. Set to 1 for debug "
            "logging. If the flag was not set or supplied, the value will be changed from the default of -1 "
            "(warning) to 0 (info) after flags are parsed.",
            short_name="v",
        ),
        module_name=module,
    )
    flags.DEFINE_string(
        "stderrthreshold",
        "fatal",
        "log messages at this level, or more severe, to stderr in addition to the logfile.  Possible values are "
        "'debug', 'info', 'warning', 'error', and 'fatal'.  Obsoletes --alsologtostderr. Using --alsologtostderr "
        "cancels the effect of this flag. Please also note that this flag is subject to --verbosity and requires "
        "logfile not be stderr.",
        module_name=module,
    )
    flags.DEFINE_boolean(
        "showprefixforinfo",
        True,
        "If False, do not prepend prefix to info messages when it's logged to stderr, --verbosity is set to INFO "
        "level, and python logging is used.",
        module_name=module,
    )


def usage(shorthelp=False, writeto_stdout=False, detailed_error=None, exitcode=None):
    """Writes the ``__main__`` module's docstring and the flags' help (absl's ``app.usage``)."""
    out = _sys.stdout if writeto_stdout else _sys.stderr
    main_module = _sys.modules.get("__main__")
    doc = getattr(main_module, "__doc__", None)
    if not doc:
        doc = flags.text_wrap(f"\nUSAGE: {_sys.argv[0]} [flags]\n", indent="       ", firstline_indent="")
    else:
        n = doc.count("%") - 2 * doc.count("%%")
        with contextlib.suppress(OverflowError, TypeError, ValueError):
            doc %= (_sys.argv[0],) * n
    flag_str = FLAGS.main_module_help() if shorthelp else FLAGS.get_help()
    out.write(doc)
    if flag_str:
        out.write("\nflags:\n")
        out.write(flag_str)
    out.write("\n")
    if detailed_error is not None:
        out.write(f"\n{detailed_error}\n")
    if exitcode is not None:
        _sys.exit(exitcode)


def run(main=None, argv=None):
    """Parses the known flags from ``argv`` (default ``sys.argv``), then ``sys.exit(main(remaining argv))``.

    Args:
      main: called with the program name and every argument the flags did not consume; defaults to the
        ``main`` function of the ``__main__`` module.
      argv: the command line, program name first.

    Raises:
      SystemExit: always (with ``main``'s return value as the exit status).
      flags.Error: when a defined flag gets an invalid value (as TensorFlow, unknown flags are not errors).
    """
    main = main or _sys.modules["__main__"].main
    _define_help_flags()
    args = FLAGS(_sys.argv if argv is None else argv, known_only=True)
    if FLAGS["only_check_args"].value:
        _sys.exit(0)
    if FLAGS["verbosity"].using_default_value:
        FLAGS.verbosity = 0
    # absl sets the root logger's level from --verbosity (0: INFO, 1: DEBUG, -1: WARNING, ...), which is
    # why a TensorFlow program under app.run shows tf.logging.info lines without set_verbosity.
    _logging.getLogger().setLevel(_absl_to_standard(FLAGS.verbosity))
    _sys.exit(main(args))


def _absl_to_standard(level: int) -> int:
    """absl's verbosity (FATAL -3, ERROR -2, WARNING -1, INFO 0, DEBUG 1 and above) as a logging level."""
    if level < -3:
        level = -3
    if level > 0:
        return _logging.DEBUG - level + 1  # absl maps 1 to DEBUG (10), 2 to 9, ...
    return {-3: _logging.FATAL, -2: _logging.ERROR, -1: _logging.WARNING, 0: _logging.INFO}[level]


_define_logging_flags()
