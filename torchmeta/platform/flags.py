"""``tf.flags`` / ``tf.app.flags``: command-line flags with absl-py's API and parsing rules, without absl.

TensorFlow's ``tf.compat.v1.flags`` is ``absl.flags`` plus two things this module also does: the old
keyword names ``flag_name``/``default_value``/``docstring`` are accepted, and reading a flag before the
flags were parsed parses ``sys.argv`` first (absl itself raises ``UnparsedFlagAccessError``; the
``FlagValues`` class here keeps absl's behaviour, only the global ``FLAGS`` parses implicitly).

Parsing follows absl: ``--name=value``, ``--name value``, ``-name``, ``--noname`` for booleans,
``--`` ends the flags, GNU-style mixing of flags and positional arguments, ``--flagfile=FILE``,
``--undefok=a,b``; an unknown flag raises ``UnrecognizedFlagError`` (with absl's suggestions) unless
``known_only=True``, which leaves it in the returned arguments. Values are checked by the flag's
parser and by validators (``register_validator``, ``mark_flag_as_required``) with absl's messages.
"""

from __future__ import annotations

import csv
import logging as _logging
import os
import sys
import textwrap
import warnings

__all__ = [
    "Error",
    "CantOpenFlagFileError",
    "DuplicateFlagError",
    "IllegalFlagValueError",
    "UnrecognizedFlagError",
    "UnparsedFlagAccessError",
    "ValidationError",
    "FlagNameConflictsWithMethodError",
    "ArgumentParser",
    "ArgumentSerializer",
    "FloatParser",
    "IntegerParser",
    "BooleanParser",
    "EnumParser",
    "ListParser",
    "WhitespaceSeparatedListParser",
    "ListSerializer",
    "CsvListSerializer",
    "Flag",
    "BooleanFlag",
    "EnumFlag",
    "MultiFlag",
    "FlagValues",
    "FlagHolder",
    "FLAGS",
    "DEFINE",
    "DEFINE_flag",
    "DEFINE_string",
    "DEFINE_boolean",
    "DEFINE_bool",
    "DEFINE_float",
    "DEFINE_integer",
    "DEFINE_enum",
    "DEFINE_list",
    "DEFINE_spaceseplist",
    "DEFINE_multi",
    "DEFINE_multi_string",
    "DEFINE_multi_integer",
    "DEFINE_multi_float",
    "DEFINE_multi_enum",
    "DEFINE_alias",
    "register_validator",
    "validator",
    "register_multi_flags_validator",
    "multi_flags_validator",
    "mark_flag_as_required",
    "mark_flags_as_required",
    "mark_flags_as_mutual_exclusive",
    "declare_key_flag",
    "adopt_module_key_flags",
    "disclaim_key_flags",
    "text_wrap",
]


# ---------------------------------------------------------------------------------------------
# Errors (absl's classes and messages)


class Error(Exception):
    """The base class for all flags errors."""


class CantOpenFlagFileError(Error):
    """A --flagfile could not be opened."""


class DuplicateFlagError(Error):
    """A flag name is defined twice."""

    @classmethod
    def from_flag(cls, flagname, flag_values, other_flag_values=None):
        first = flag_values.find_module_defining_flag(flagname, default="<unknown>")
        if other_flag_values is None:
            second = _calling_module_name()
        else:
            second = other_flag_values.find_module_defining_flag(flagname, default="<unknown>")
        return cls(
            f"The flag '{flagname}' is defined twice. First from {first}, second from {second}. "
            f"Description from first occurrence: {flag_values[flagname].help}"
        )


class IllegalFlagValueError(Error):
    """A flag's value is not valid."""


class UnrecognizedFlagError(Error):
    """A flag on the command line is not defined."""

    def __init__(self, flagname, flagvalue="", suggestions=()):
        self.flagname = flagname
        self.flagvalue = flagvalue
        tip = f". Did you mean: {', '.join(suggestions)} ?" if suggestions else ""
        super().__init__(f"Unknown command line flag '{flagname}'{tip}")


class UnparsedFlagAccessError(Error):
    """A flag was read before the flags were parsed."""


class ValidationError(Error):
    """A validator's constraint does not hold."""


class FlagNameConflictsWithMethodError(Error):
    """A flag name equals a FlagValues method name."""


# ---------------------------------------------------------------------------------------------
# Parsers and serializers


class ArgumentParser:
    """Parses a string argument into a flag value (the base parser keeps strings as they are)."""

    syntactic_help = ""

    def parse(self, argument):
        if not isinstance(argument, str):
            raise TypeError(f'flag value must be a string, found "{type(argument)}"')
        return argument

    def flag_type(self) -> str:
        return "string"


class ArgumentSerializer:
    def serialize(self, value) -> str:
        return str(value)


class _NumericParser(ArgumentParser):
    lower_bound = None
    upper_bound = None
    number_article = "a"
    number_name = "number"

    def __init__(self, lower_bound=None, upper_bound=None):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        name = self.number_name
        sh = f"{self.number_article} {name}"
        if lower_bound is not None and upper_bound is not None:
            sh = f"{sh} in the range [{lower_bound}, {upper_bound}]"
        elif lower_bound == 1 and isinstance(self, IntegerParser):
            sh = f"a positive {name}"
        elif upper_bound == -1 and isinstance(self, IntegerParser):
            sh = f"a negative {name}"
        elif lower_bound == 0:
            sh = f"a non-negative {name}"
        elif upper_bound == 0:
            sh = f"a non-positive {name}"
        elif upper_bound is not None:
            sh = f"{name} <= {upper_bound}"
        elif lower_bound is not None:
            sh = f"{name} >= {lower_bound}"
        self.syntactic_help = sh

    def is_outside_bounds(self, val) -> bool:
        return (self.lower_bound is not None and val < self.lower_bound) or (
            self.upper_bound is not None and val > self.upper_bound
        )

    def parse(self, argument):
        val = self.convert(argument)
        if self.is_outside_bounds(val):
            raise ValueError(f"{val} is not {self.syntactic_help}")
        return val


class FloatParser(_NumericParser):
    number_article = "a"
    number_name = "number"

    def convert(self, argument):
        if (isinstance(argument, int) and not isinstance(argument, bool)) or isinstance(argument, (float, str)):
            return float(argument)
        raise TypeError(f"Expect argument to be a string, int, or float, found {type(argument)}")

    def flag_type(self) -> str:
        return "float"


class IntegerParser(_NumericParser):
    number_article = "an"
    number_name = "integer"

    def convert(self, argument):
        if isinstance(argument, int) and not isinstance(argument, bool):
            return argument
        if isinstance(argument, str):
            base = 10
            if len(argument) > 2 and argument[0] == "0":
                if argument[1] == "o":
                    base = 8
                elif argument[1] == "x":
                    base = 16
            return int(argument, base)
        raise TypeError(f"Expect argument to be a string or int, found {type(argument)}")

    def flag_type(self) -> str:
        return "int"


class BooleanParser(ArgumentParser):
    def parse(self, argument):
        if isinstance(argument, str):
            if argument.lower() in ("true", "t", "1"):
                return True
            if argument.lower() in ("false", "f", "0"):
                return False
            raise ValueError("Non-boolean argument to boolean flag", argument)
        if isinstance(argument, int):
            value = bool(argument)
            if argument == value:
                return value
            raise ValueError("Non-boolean argument to boolean flag", argument)
        raise TypeError("Non-boolean argument to boolean flag", argument)

    def flag_type(self) -> str:
        return "bool"


class EnumParser(ArgumentParser):
    def __init__(self, enum_values, case_sensitive=True):
        if not enum_values:
            raise ValueError(f'enum_values cannot be empty, found "{enum_values}"')
        if isinstance(enum_values, str):
            raise ValueError(f'enum_values cannot be a str, found "{enum_values}"')
        self.enum_values = list(enum_values)
        self.case_sensitive = case_sensitive

    def parse(self, argument):
        expected = "|".join(self.enum_values)
        if self.case_sensitive:
            if argument not in self.enum_values:
                raise ValueError(f"value should be one of <{expected}>")
            return argument
        matches = [v for v in self.enum_values if v.upper() == argument.upper()]
        if not matches:
            raise ValueError(f"value should be one of <{expected}>")
        return matches[0]

    def flag_type(self) -> str:
        return "string enum"


class _BaseListParser(ArgumentParser):
    def __init__(self, token=None, name=None):
        self._token = token
        self._name = name
        self.syntactic_help = f"a {name} separated list"

    def flag_type(self) -> str:
        return f"{self._name} separated list of strings"


class ListParser(_BaseListParser):
    """A comma-separated list of strings (CSV quoting allowed)."""

    def __init__(self):
        super().__init__(",", "comma")

    def parse(self, argument):
        if isinstance(argument, list):
            return argument
        if not argument:
            return []
        try:
            return [s.strip() for s in next(csv.reader([argument], strict=True))]
        except csv.Error as e:
            raise ValueError(f"Unable to parse the value {argument!r} as a {self.flag_type()}: {e}") from e


class WhitespaceSeparatedListParser(_BaseListParser):
    """A whitespace-separated list of strings (optionally commas too)."""

    def __init__(self, comma_compat=False):
        self._comma_compat = comma_compat
        super().__init__(None, "whitespace or comma" if comma_compat else "whitespace")

    def parse(self, argument):
        if isinstance(argument, list):
            return argument
        if not argument:
            return []
        if self._comma_compat:
            argument = argument.replace(",", " ")
        return argument.split()


class ListSerializer(ArgumentSerializer):
    def __init__(self, list_sep):
        self.list_sep = list_sep

    def serialize(self, value) -> str:
        return self.list_sep.join(str(x) for x in value)


class CsvListSerializer(ListSerializer):
    def serialize(self, value) -> str:
        import io

        out = io.StringIO()
        csv.writer(out, delimiter=self.list_sep, lineterminator="").writerow(value)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Flags


class Flag:
    """One command-line flag: name, parser, default, current value, how often it was given."""

    def __init__(
        self,
        parser,
        serializer,
        name,
        default,
        help_string,
        short_name=None,
        boolean=False,
        allow_override=False,
        allow_override_cpp=False,
        allow_hide_cpp=False,
        allow_overwrite=True,
        allow_using_method_names=False,
    ):
        self.name = name
        self.help = help_string or "(no help available)"
        self.short_name = short_name
        self.boolean = boolean
        self.present = 0
        self.parser = parser
        self.serializer = serializer
        self.allow_override = allow_override
        self.allow_override_cpp = allow_override_cpp
        self.allow_hide_cpp = allow_hide_cpp
        self.allow_overwrite = allow_overwrite
        self.allow_using_method_names = allow_using_method_names
        self.using_default_value = True
        self._value = None
        self.validators = []
        self._set_default(default)

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value):
        self._value = value

    def __hash__(self):
        return hash(id(self))

    def __eq__(self, other):
        return self is other

    def __bool__(self):
        raise TypeError("A Flag instance would always be True. Did you mean to test the `.value` attribute?")

    def _get_parsed_value_as_string(self, value):
        if value is None:
            return None
        if self.serializer:
            return repr(self.serializer.serialize(value))
        if self.boolean:
            return repr("true") if value else repr("false")
        return repr(str(value))

    def parse(self, argument):
        if self.present and not self.allow_overwrite:
            raise IllegalFlagValueError(f"flag --{self.name}={argument}: already defined as {self.value}")
        self.value = self._parse(argument)
        self.present += 1

    def _parse(self, argument):
        try:
            return self.parser.parse(argument)
        except (TypeError, ValueError, OverflowError) as e:
            raise IllegalFlagValueError(f"flag --{self.name}={argument}: {e}") from None

    def unparse(self):
        self.value = self.default
        self.using_default_value = True
        self.present = 0

    def serialize(self) -> str:
        return self._serialize(self.value)

    def _serialize(self, value) -> str:
        if value is None:
            return ""
        if self.boolean:
            return f"--{self.name}" if value else f"--no{self.name}"
        if not self.serializer:
            raise Error(f"Serializer not present for flag {self.name}")
        return f"--{self.name}={self.serializer.serialize(value)}"

    def _set_default(self, value):
        self.default_unparsed = value
        self.default = None if value is None else self._parse_from_default(value)
        self.default_as_str = self._get_parsed_value_as_string(self.default)
        if self.using_default_value:
            self.value = self.default

    def _parse_from_default(self, value):
        return self._parse(value)

    def flag_type(self) -> str:
        return self.parser.flag_type()


class BooleanFlag(Flag):
    """A flag without an argument: ``--name`` sets it, ``--noname`` clears it."""

    def __init__(self, name, default, help, short_name=None, **args):
        super().__init__(BooleanParser(), None, name, default, help, short_name, True, **args)


class EnumFlag(Flag):
    """A string flag whose value is one of ``enum_values``."""

    def __init__(self, name, default, help, enum_values, short_name=None, case_sensitive=True, **args):
        parser = EnumParser(enum_values, case_sensitive)
        super().__init__(parser, ArgumentSerializer(), name, default, help, short_name, **args)
        self.help = f"<{'|'.join(parser.enum_values)}>: {self.help}"


class MultiFlag(Flag):
    """A flag that may repeat; its value is the list of all the values given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help += ";\n    repeat this option to specify a list of values"

    def parse(self, arguments):
        new_values = self._parse(arguments)
        if self.present:
            self.value.extend(new_values)
        else:
            self.value = new_values
        self.present += len(new_values)

    def _parse(self, arguments):
        if isinstance(arguments, str):
            items = [arguments]
        elif hasattr(arguments, "__iter__"):
            items = list(arguments)
        else:
            items = [arguments]
        return [Flag._parse(self, item) for item in items]

    def _serialize(self, value) -> str:
        if not self.serializer:
            raise Error(f"Serializer not present for flag {self.name}")
        if value is None:
            return ""
        return "\n".join(f"--{self.name}={self.serializer.serialize(v)}" for v in value)

    def flag_type(self) -> str:
        return "multi " + self.parser.flag_type()


# ---------------------------------------------------------------------------------------------
# Validators


class _Validator:
    _counter = 0

    def __init__(self, checker, message):
        self.checker = checker
        self.message = message
        _Validator._counter += 1
        self.insertion_index = _Validator._counter

    def verify(self, flag_values):
        param = self._input(flag_values)
        if not self.checker(param):
            raise ValidationError(self.message)


class _SingleFlagValidator(_Validator):
    def __init__(self, flag_name, checker, message):
        super().__init__(checker, message)
        self.flag_name = flag_name

    def get_flags_names(self):
        return [self.flag_name]

    def print_flags_with_values(self, flag_values):
        return f"flag --{self.flag_name}={flag_values[self.flag_name].value}"

    def _input(self, flag_values):
        return flag_values[self.flag_name].value


class _MultiFlagsValidator(_Validator):
    def __init__(self, flag_names, checker, message):
        super().__init__(checker, message)
        self.flag_names = flag_names

    def get_flags_names(self):
        return self.flag_names

    def print_flags_with_values(self, flag_values):
        prefix = "flags "
        return prefix + ", ".join(f"{key}={flag_values[key].value}" for key in self.flag_names)

    def _input(self, flag_values):
        return {key: flag_values[key].value for key in self.flag_names}


# ---------------------------------------------------------------------------------------------
# The registry of flags


def _calling_module_name() -> str:
    """The module that called into this file (sys.argv[0] for ``__main__``), as absl names it."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__") in _DISCLAIMED:
        f = f.f_back
    if f is None:
        return "<unknown>"
    name = f.f_globals.get("__name__", "<unknown>")
    return sys.argv[0] if name == "__main__" else name


_DISCLAIMED = {__name__}
_SUGGESTION_ERROR_RATE_THRESHOLD = 0.50


def _damerau_levenshtein(a: str, b: str) -> int:
    memo: dict = {}

    def distance(x, y):
        if (x, y) in memo:
            return memo[x, y]
        if not x:
            d = len(y)
        elif not y:
            d = len(x)
        else:
            d = min(distance(x[1:], y) + 1, distance(x, y[1:]) + 1, distance(x[1:], y[1:]) + (x[0] != y[0]))
            if len(x) >= 2 and len(y) >= 2 and x[0] == y[1] and x[1] == y[0]:
                d = min(d, distance(x[2:], y[2:]) + 1)
        memo[x, y] = d
        return d

    return distance(a, b)


def _flag_suggestions(attempt: str, names) -> list:
    if len(attempt) <= 2 or not names:
        return []
    distances = sorted((_damerau_levenshtein(attempt, name[: len(attempt)]), name) for name in names)
    least, _ = distances[0]
    if least >= _SUGGESTION_ERROR_RATE_THRESHOLD * len(attempt):
        return []
    return [name for errs, name in distances if errs == least]


class FlagValues:
    """A registry of flags and their values (absl's ``FlagValues``): ``FLAGS.name`` reads a value."""

    def __init__(self):
        self.__dict__["_flags_"] = {}
        self.__dict__["_hidden_"] = set()
        self.__dict__["_by_module_"] = {}
        self.__dict__["_by_module_id_"] = {}
        self.__dict__["_parsed_"] = False
        self.__dict__["_gnu_getopt_"] = True
        self.__dict__["_banned_"] = frozenset(dir(FlagValues))

    # -- registry -------------------------------------------------------------------------------
    def _flags(self) -> dict:
        return self.__dict__["_flags_"]

    def set_gnu_getopt(self, gnu_getopt=True):
        self.__dict__["_gnu_getopt_"] = gnu_getopt

    def is_gnu_getopt(self) -> bool:
        return self.__dict__["_gnu_getopt_"]

    def flags_by_module_dict(self) -> dict:
        return self.__dict__["_by_module_"]

    def register_flag_by_module(self, module_name, flag):
        self.__dict__["_by_module_"].setdefault(module_name, []).append(flag)

    def register_flag_by_module_id(self, module_id, flag):
        self.__dict__["_by_module_id_"].setdefault(module_id, []).append(flag)

    def get_flags_for_module(self, module):
        if not isinstance(module, str):
            module = module.__name__
        if module == "__main__":
            module = sys.argv[0]
        return list(self.__dict__["_by_module_"].get(module, []))

    def get_key_flags_for_module(self, module):
        return self.get_flags_for_module(module)

    def find_module_defining_flag(self, flagname, default=None):
        registered = self._flags().get(flagname)
        if registered is None:
            return default
        for module, flags in self.__dict__["_by_module_"].items():
            for flag in flags:
                if flag.name == registered.name and flag.short_name == registered.short_name:
                    return module
        return default

    def find_module_id_defining_flag(self, flagname, default=None):
        registered = self._flags().get(flagname)
        if registered is None:
            return default
        for module_id, flags in self.__dict__["_by_module_id_"].items():
            if any(f is registered for f in flags):
                return module_id
        return default

    def __setitem__(self, name, flag):
        fl = self._flags()
        if not isinstance(flag, Flag):
            raise IllegalFlagValueError(
                f"Expect Flag instances, found type {type(flag)}. Maybe you didn't mean to use FlagValue.__setitem__?"
            )
        if not isinstance(name, str):
            raise Error("Flag name must be a string")
        if not name:
            raise Error("Flag name cannot be empty")
        if " " in name:
            raise Error("Flag name cannot contain a space")
        if name in self.__dict__["_banned_"] and not flag.allow_using_method_names:
            raise FlagNameConflictsWithMethodError(
                f'Cannot define a flag named "{name}". It conflicts with a method on class '
                f'"{type(self).__name__}". To allow defining it, use allow_using_method_names and access the flag '
                "value with FLAGS['{name}'].value. FLAGS.{name} returns the method, not the flag value."
            )
        if name in fl and not flag.allow_override and not fl[name].allow_override:
            module_name = _calling_module_name()
            module = sys.modules.get(module_name)
            if self.find_module_defining_flag(name) == module_name and id(module) != self.find_module_id_defining_flag(
                name
            ):
                return  # the same module imported a second time
            raise DuplicateFlagError.from_flag(name, self)
        short_name = flag.short_name
        if short_name is not None:
            if short_name in fl and not flag.allow_override and not fl[short_name].allow_override:
                raise DuplicateFlagError.from_flag(short_name, self)
            fl[short_name] = flag
        if name not in fl or fl[name].using_default_value or not flag.using_default_value:
            fl[name] = flag

    def __getitem__(self, name) -> Flag:
        return self._flags()[name]

    def __contains__(self, name) -> bool:
        return name in self._flags()

    def __len__(self) -> int:
        return len(self._flags())

    def __iter__(self):
        return iter(self._flags())

    def __dir__(self):
        return sorted(self._flags())

    def __getattr__(self, name):
        flag = self._flags().get(name)
        if flag is None or name in self.__dict__["_hidden_"]:
            raise AttributeError(name)
        if self.__dict__["_parsed_"] or flag.present:
            return flag.value
        raise UnparsedFlagAccessError(f"Trying to access flag --{name} before flags were parsed.")

    def __setattr__(self, name, value):
        self._set_attributes(**{name: value})
        return value

    def _set_attributes(self, **attributes):
        fl = self._flags()
        originals = {}
        used_defaults = {}
        try:
            for name, value in attributes.items():
                if name in self.__dict__["_hidden_"]:
                    raise AttributeError(name)
                flag = fl.get(name)
                if flag is None:
                    raise UnrecognizedFlagError(name, value)
                originals[name] = flag.value
                flag.value = value
            for name in originals:
                self._assert_validators(fl[name].validators)
                used_defaults[name] = fl[name].using_default_value
                fl[name].using_default_value = False
        except BaseException:
            for name, orig in originals.items():
                fl[name].value = orig
            for name, orig in used_defaults.items():
                fl[name].using_default_value = orig
            raise

    def __delattr__(self, flag_name):
        fl = self._flags()
        flag = fl.get(flag_name)
        if flag is None:
            raise AttributeError(flag_name)
        del fl[flag_name]
        if not any(f is flag for f in fl.values()):
            for registry in (self.__dict__["_by_module_"], self.__dict__["_by_module_id_"]):
                for flags in registry.values():
                    while flag in flags:
                        flags.remove(flag)

    def set_default(self, name, value):
        flag = self._flags().get(name)
        if flag is None:
            raise UnrecognizedFlagError(name, value)
        flag._set_default(value)
        self._assert_validators(flag.validators)

    def validate_all_flags(self):
        validators = set()
        for flag in self._flags().values():
            validators.update(flag.validators)
        self._assert_validators(validators)

    def _assert_validators(self, validators):
        messages = []
        bad_flags: set = set()
        for v in sorted(validators, key=lambda v: v.insertion_index):
            names = set(v.get_flags_names())
            if not names.isdisjoint(bad_flags):
                continue
            try:
                v.verify(self)
            except ValidationError as e:
                bad_flags.update(names)
                messages.append(f"{v.print_flags_with_values(self)}: {e}")
        if messages:
            raise IllegalFlagValueError("\n".join(messages))

    # -- parsing ----------------------------------------------------------------------------------
    def __call__(self, argv, known_only=False):
        """Parses ``argv`` (program name first); returns ``[argv[0]]`` plus the arguments not parsed."""
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv should be a tuple/list of strings, not bytes or string.")
        if not argv:
            raise ValueError("argv cannot be an empty list, and must contain the program name as the first element.")
        program_name = argv[0]
        args = self.read_flags_from_files(argv[1:], force_gnu=False)
        unknown, unparsed = self._parse_args(args, known_only)
        for name, value in unknown:
            raise UnrecognizedFlagError(name, value, suggestions=_flag_suggestions(name, list(self)))
        self.mark_as_parsed()
        self.validate_all_flags()
        return [program_name, *unparsed]

    def _parse_args(self, args, known_only):
        unparsed = []  # (flag name or None, arg)
        undefok: set = set()
        flags = self._flags()
        it = iter(args)
        for arg in it:
            if not arg.startswith("-"):
                unparsed.append((None, arg))
                if self.is_gnu_getopt():
                    continue
                break
            if arg == "--":
                if known_only:
                    unparsed.append((None, arg))
                break
            body = arg[2:] if arg.startswith("--") else arg[1:]
            name, value = body.split("=", 1) if "=" in body else (body, None)
            if not name:
                unparsed.append((None, arg))
                if self.is_gnu_getopt():
                    continue
                break

            def get_value(arg=arg, value=value):
                if value is not None:
                    return value
                try:
                    return next(it)
                except StopIteration:
                    raise Error("Missing value for flag " + arg) from None

            if name == "undefok":
                value = get_value()
                undefok.update(v.strip() for v in value.split(","))
                undefok.update("no" + v.strip() for v in value.split(","))
                continue
            flag = flags.get(name)
            if flag is not None:
                value = "true" if flag.boolean and value is None else get_value()
            elif name.startswith("no") and len(name) > 2:
                noflag = flags.get(name[2:])
                if noflag is not None and noflag.boolean:
                    if value is not None:
                        raise ValueError(arg + " does not take an argument")
                    flag, value = noflag, "false"
            if flag is not None:
                flag.parse(value)
                flag.using_default_value = False
            else:
                unparsed.append((name, arg))
        unknown, rest = [], []
        for name, arg in unparsed:
            if name is None:
                rest.append(arg)
            elif name in undefok:
                continue
            elif known_only:
                rest.append(arg)
            else:
                unknown.append((name, arg))
        rest.extend(it)
        return unknown, rest

    def is_parsed(self) -> bool:
        return self.__dict__["_parsed_"]

    def mark_as_parsed(self):
        self.__dict__["_parsed_"] = True

    def unparse_flags(self):
        for f in self._flags().values():
            f.unparse()
        self.__dict__["_parsed_"] = False

    def flag_values_dict(self) -> dict:
        return {name: flag.value for name, flag in self._flags().items()}

    def get_flag_value(self, name, default):
        value = self.__getattr__(name)
        return default if value is None else value

    # -- flag files -------------------------------------------------------------------------------
    @staticmethod
    def _is_flag_file_directive(s) -> bool:
        return isinstance(s, str) and (
            s.startswith("--flagfile=") or s == "--flagfile" or s.startswith("-flagfile=") or s == "-flagfile"
        )

    @staticmethod
    def _extract_filename(s: str) -> str:
        for prefix in ("--flagfile=", "-flagfile="):
            if s.startswith(prefix):
                return os.path.expanduser(s[len(prefix) :].strip())
        raise Error(f"Hit illegal --flagfile type: {s}")

    def _get_flag_file_lines(self, filename, parsed_file_stack=None):
        if not filename:
            return []
        stack = [] if parsed_file_stack is None else parsed_file_stack
        if filename in stack:
            sys.stderr.write(f"Warning: Hit circular flagfile dependency. Ignoring flagfile: {filename}\n")
            return []
        stack.append(filename)
        try:
            with open(filename) as f:
                lines = f.readlines()
        except OSError as e:
            raise CantOpenFlagFileError(f"ERROR:: Unable to open flagfile: {e}") from None
        out = []
        for line in lines:
            if line.isspace() or line.startswith(("#", "//")):
                continue
            if self._is_flag_file_directive(line):
                out.extend(self._get_flag_file_lines(self._extract_filename(line), stack))
            else:
                out.append(line.strip())
        stack.pop()
        return out

    def read_flags_from_files(self, argv, force_gnu=True):
        """``argv`` with every ``--flagfile=FILE`` replaced by the flags in FILE."""
        rest = list(argv)
        out = []
        while rest:
            current = rest.pop(0)
            if self._is_flag_file_directive(current):
                if current in ("--flagfile", "-flagfile"):
                    if not rest:
                        raise IllegalFlagValueError("--flagfile with no argument")
                    filename = os.path.expanduser(rest.pop(0))
                else:
                    filename = self._extract_filename(current)
                out.extend(self._get_flag_file_lines(filename))
                continue
            out.append(current)
            if current == "--":
                break
            if not current.startswith("-"):
                if not force_gnu and not self.is_gnu_getopt():
                    break
            elif "=" not in current and rest and not rest[0].startswith("-"):
                name = current.lstrip("-")
                fl = self._flags()
                if name in fl and not fl[name].boolean:
                    out.append(rest.pop(0))
        out.extend(rest)
        return out

    def flags_into_string(self) -> str:
        s = ""
        for _, flags in sorted(self.flags_by_module_dict().items()):
            for flag in sorted(flags, key=lambda f: f.name):
                if flag.value is not None:
                    s += flag.serialize() + "\n"
        return s

    def append_flags_into_file(self, filename):
        with open(filename, "a") as f:
            f.write(self.flags_into_string())

    # -- help -------------------------------------------------------------------------------------
    def __str__(self):
        return self.get_help()

    def get_help(self, prefix="", include_special_flags=True) -> str:
        by_module = self.flags_by_module_dict()
        lines: list = []
        modules = sorted(by_module)
        if sys.argv and sys.argv[0] in modules:
            modules.remove(sys.argv[0])
            modules.insert(0, sys.argv[0])
        for module in modules:
            flags = self.get_flags_for_module(module)
            if flags:
                lines.append(f"\n{prefix}{module}:")
                self._render_flag_list(flags, lines, prefix + "  ")
        return "\n".join(lines)

    def module_help(self, module) -> str:
        lines: list = []
        flags = self.get_flags_for_module(module)
        if flags:
            name = module if isinstance(module, str) else module.__name__
            lines.append(f"\n{name}:")
            self._render_flag_list(flags, lines, "  ")
        return "\n".join(lines)

    def main_module_help(self) -> str:
        return self.module_help(sys.argv[0])

    def _render_flag_list(self, flaglist, lines, prefix="  "):
        fl = self._flags()
        seen = set()
        for flag in sorted(flaglist, key=lambda f: f.name):
            if fl.get(flag.name) is not flag or id(flag) in seen:
                continue
            seen.add(id(flag))
            text = f"-{flag.short_name}," if flag.short_name else ""
            text += f"--[no]{flag.name}: " if flag.boolean else f"--{flag.name}: "
            text = text_wrap(text + flag.help, indent=prefix + "  ", firstline_indent=prefix)
            if flag.default_as_str:
                text += "\n" + text_wrap(f"(default: {flag.default_as_str})", indent=prefix + "  ")
            if flag.parser.syntactic_help:
                text += "\n" + text_wrap(f"({flag.parser.syntactic_help})", indent=prefix + "  ")
            lines.append(text)


def text_wrap(text, length=None, indent="", firstline_indent=None) -> str:
    """Wraps ``text`` at ``length`` columns (80 by default), indenting as absl's help does."""
    length = length or 80
    if firstline_indent is None:
        firstline_indent = indent
    out = []
    first = True
    for paragraph in text.splitlines() or [""]:
        lead = firstline_indent if first else indent
        wrapped = textwrap.wrap(paragraph, width=length, initial_indent=lead, subsequent_indent=indent) or [lead]
        out.extend(wrapped)
        first = False
    return "\n".join(out)


class FlagHolder:
    """What ``DEFINE_*`` returns: ``.value`` reads the flag through its FlagValues."""

    def __init__(self, flag_values, flag, ensure_non_none_value=False):
        self._flagvalues = flag_values
        self._name = flag.name
        self._ensure_non_none_value = ensure_non_none_value

    def __eq__(self, other):
        raise TypeError(
            f"unsupported operand type(s) for ==: '{type(self).__name__}' and '{type(other).__name__}' "
            f"(did you mean to use '{type(self).__name__}.value' instead?)"
        )

    def __bool__(self):
        raise TypeError(
            f"bool() not supported for instances of type '{type(self).__name__}' "
            f"(did you mean to use '{type(self).__name__}.value' instead?)"
        )

    __hash__ = object.__hash__

    @property
    def name(self) -> str:
        return self._name

    @property
    def value(self):
        val = getattr(self._flagvalues, self._name)
        if self._ensure_non_none_value and val is None:
            raise IllegalFlagValueError(f"Unexpected None value for flag {self._name}")
        return val

    @property
    def default(self):
        return self._flagvalues[self._name].default

    @property
    def present(self) -> bool:
        return bool(self._flagvalues[self._name].present)

    def serialize(self) -> str:
        return self._flagvalues[self._name].serialize()


# ---------------------------------------------------------------------------------------------
# DEFINE_* (absl's signatures)


def _resolve(flag_name, flag_values):
    if isinstance(flag_name, FlagHolder):
        return flag_name.name, flag_name._flagvalues
    return flag_name, flag_values


def DEFINE_flag(flag, flag_values=None, module_name=None, required=False):
    """Registers a ``Flag`` object; returns its ``FlagHolder``."""
    fv = FLAGS if flag_values is None else flag_values
    if required and flag.default is not None:
        raise ValueError(f"Required flag --{flag.name} needs to have None as default")
    fv[flag.name] = flag
    if fv[flag.name] is flag:
        name = module_name or _calling_module_name()
        fv.register_flag_by_module(name, flag)
        fv.register_flag_by_module_id(id(sys.modules.get(name)), flag)
    if required:
        mark_flag_as_required(flag.name, fv)
    return FlagHolder(fv, flag, ensure_non_none_value=(flag.default is not None) or required)


def DEFINE(parser, name, default, help, flag_values=None, serializer=None, module_name=None, required=False, **args):
    """Registers a flag parsed by ``parser``."""
    return DEFINE_flag(Flag(parser, serializer, name, default, help, **args), flag_values, module_name, required)


def _register_bounds_validator(parser, name, flag_values):
    if parser.lower_bound is not None or parser.upper_bound is not None:

        def checker(value):
            if value is not None and parser.is_outside_bounds(value):
                raise ValidationError(f"{value} is not {parser.syntactic_help}")
            return True

        register_validator(name, checker, flag_values=flag_values)


def DEFINE_string(name, default, help, flag_values=None, required=False, **args):
    """A flag whose value is any string."""
    return DEFINE(ArgumentParser(), name, default, help, flag_values, ArgumentSerializer(), required=required, **args)


def DEFINE_boolean(name, default, help, flag_values=None, module_name=None, required=False, **args):
    """A boolean flag: ``--name`` / ``--noname`` / ``--name=true|false|1|0``."""
    return DEFINE_flag(BooleanFlag(name, default, help, **args), flag_values, module_name, required)


def DEFINE_float(name, default, help, lower_bound=None, upper_bound=None, flag_values=None, required=False, **args):
    """A float flag, optionally bounded."""
    parser = FloatParser(lower_bound, upper_bound)
    holder = DEFINE(parser, name, default, help, flag_values, ArgumentSerializer(), required=required, **args)
    _register_bounds_validator(parser, name, holder._flagvalues)
    return holder


def DEFINE_integer(name, default, help, lower_bound=None, upper_bound=None, flag_values=None, required=False, **args):
    """An integer flag (``0x``/``0o`` prefixes accepted), optionally bounded."""
    parser = IntegerParser(lower_bound, upper_bound)
    holder = DEFINE(parser, name, default, help, flag_values, ArgumentSerializer(), required=required, **args)
    _register_bounds_validator(parser, name, holder._flagvalues)
    return holder


def DEFINE_enum(name, default, enum_values, help, flag_values=None, module_name=None, required=False, **args):
    """A string flag restricted to ``enum_values``."""
    return DEFINE_flag(EnumFlag(name, default, help, enum_values, **args), flag_values, module_name, required)


def DEFINE_list(name, default, help, flag_values=None, required=False, **args):
    """A comma-separated list of strings."""
    return DEFINE(ListParser(), name, default, help, flag_values, CsvListSerializer(","), required=required, **args)


def DEFINE_spaceseplist(name, default, help, comma_compat=False, flag_values=None, required=False, **args):
    """A whitespace-separated list of strings."""
    parser = WhitespaceSeparatedListParser(comma_compat=comma_compat)
    return DEFINE(parser, name, default, help, flag_values, ListSerializer(" "), required=required, **args)


def DEFINE_multi(parser, serializer, name, default, help, flag_values=None, module_name=None, required=False, **args):
    """A flag that may repeat, each value parsed by ``parser``."""
    return DEFINE_flag(MultiFlag(parser, serializer, name, default, help, **args), flag_values, module_name, required)


def DEFINE_multi_string(name, default, help, flag_values=None, required=False, **args):
    return DEFINE_multi(
        ArgumentParser(), ArgumentSerializer(), name, default, help, flag_values, required=required, **args
    )


def DEFINE_multi_integer(
    name,
    default,
    help,
    lower_bound=None,
    upper_bound=None,
    flag_values=None,
    required=False,
    **args,
):
    parser = IntegerParser(lower_bound, upper_bound)
    return DEFINE_multi(parser, ArgumentSerializer(), name, default, help, flag_values, required=required, **args)


def DEFINE_multi_float(
    name,
    default,
    help,
    lower_bound=None,
    upper_bound=None,
    flag_values=None,
    required=False,
    **args,
):
    parser = FloatParser(lower_bound, upper_bound)
    return DEFINE_multi(parser, ArgumentSerializer(), name, default, help, flag_values, required=required, **args)


def DEFINE_multi_enum(
    name,
    default,
    enum_values,
    help,
    flag_values=None,
    case_sensitive=True,
    required=False,
    **args,
):
    parser = EnumParser(enum_values, case_sensitive=case_sensitive)
    return DEFINE_multi(parser, ArgumentSerializer(), name, default, help, flag_values, required=required, **args)


def DEFINE_alias(name, original_name, flag_values=None, module_name=None):
    """``--name`` is another name of ``--original_name``."""
    fv = FLAGS if flag_values is None else flag_values
    if original_name not in fv:
        raise UnrecognizedFlagError(original_name)
    original = fv[original_name]

    class _FlagAlias(Flag):
        def parse(self, argument):
            original.parse(argument)
            self.present += 1

        def _parse_from_default(self, value):
            return value

        @property
        def value(self):
            return original.value

        @value.setter
        def value(self, value):
            original.value = value

    alias = _FlagAlias(
        original.parser,
        original.serializer,
        name,
        original.default,
        f"Alias for --{original.name}.",
        boolean=original.boolean,
    )
    return DEFINE_flag(alias, fv, module_name)


DEFINE_bool = DEFINE_boolean


def register_validator(flag_name, checker, message="Flag validation failed", flag_values=None):
    """``checker(value)`` must hold whenever the flag is parsed or set."""
    flag_name, fv = _resolve(flag_name, FLAGS if flag_values is None else flag_values)
    fv[flag_name].validators.append(_SingleFlagValidator(flag_name, checker, message))


def validator(flag_name, message="Flag validation failed", flag_values=None):
    """A decorator registering the function as ``flag_name``'s validator."""

    def decorate(function):
        register_validator(flag_name, function, message=message, flag_values=flag_values)
        return function

    return decorate


def register_multi_flags_validator(
    flag_names, multi_flags_checker, message="Flags validation failed", flag_values=None
):
    """``checker({name: value})`` must hold for the named flags."""
    fv = FLAGS if flag_values is None else flag_values
    names = [_resolve(n, fv)[0] for n in flag_names]
    v = _MultiFlagsValidator(names, multi_flags_checker, message)
    for n in names:
        fv[n].validators.append(v)


def multi_flags_validator(flag_names, message="Flag validation failed", flag_values=None):
    def decorate(function):
        register_multi_flags_validator(flag_names, function, message=message, flag_values=flag_values)
        return function

    return decorate


def mark_flag_as_required(flag_name, flag_values=None):
    """The flag must not be None once the flags are parsed."""
    flag_name, fv = _resolve(flag_name, FLAGS if flag_values is None else flag_values)
    if fv[flag_name].default is not None:
        warnings.warn(
            f"Flag --{flag_name} has a non-None default value; therefore, mark_flag_as_required will pass even if "
            "flag is not specified in the command line!",
            stacklevel=2,
        )
    register_validator(
        flag_name,
        lambda value: value is not None,
        message=f"Flag --{flag_name} must have a value other than None.",
        flag_values=fv,
    )


def mark_flags_as_required(flag_names, flag_values=None):
    for name in flag_names:
        mark_flag_as_required(name, flag_values)


def mark_flags_as_mutual_exclusive(flag_names, required=False, flag_values=None):
    """At most one (exactly one when ``required``) of the flags may be set (not None)."""
    fv = FLAGS if flag_values is None else flag_values
    names = [_resolve(n, fv)[0] for n in flag_names]

    def checker(values):
        count = sum(1 for v in values.values() if v is not None)
        if count > 1 or (required and count == 0):
            raise ValidationError(
                f"{'Exactly' if required else 'At most'} one of ({', '.join(names)}) must have a value other than None."
            )
        return True

    register_multi_flags_validator(names, checker, flag_values=fv)


def declare_key_flag(flag_name, flag_values=None):
    """Accepted for compatibility (key flags only shape --help output)."""


def adopt_module_key_flags(module, flag_values=None):
    """Accepted for compatibility (key flags only shape --help output)."""


def disclaim_key_flags():
    """The calling module's DEFINE calls are attributed to its caller (as absl does)."""
    f = sys._getframe(1)
    _DISCLAIMED.add(f.f_globals.get("__name__"))


# ---------------------------------------------------------------------------------------------
# TensorFlow's wrapper: old keyword names, and FLAGS that parse sys.argv when first read

_RENAMED_ARGUMENTS = {"flag_name": "name", "default_value": "default", "docstring": "help"}


def _accept_old_names(define):
    def wrapper(*args, **kwargs):
        renamed = False
        for old, new in _RENAMED_ARGUMENTS.items():
            if old in kwargs:
                renamed = True
                kwargs[new] = kwargs.pop(old)
        if renamed:
            _logging.warning(
                "Use of the keyword argument names (flag_name, default_value, docstring) is deprecated, please use "
                "(name, default, help) instead."
            )
        return define(*args, **kwargs)

    wrapper.__name__ = define.__name__
    wrapper.__doc__ = define.__doc__
    wrapper.__wrapped__ = define
    return wrapper


DEFINE_string = _accept_old_names(DEFINE_string)
DEFINE_boolean = _accept_old_names(DEFINE_boolean)
DEFINE_bool = DEFINE_boolean
DEFINE_float = _accept_old_names(DEFINE_float)
DEFINE_integer = _accept_old_names(DEFINE_integer)


class _ImplicitlyParsedFlagValues(FlagValues):
    """The global FLAGS: reading a flag before parsing parses ``sys.argv`` (TensorFlow's tf.flags.FLAGS)."""

    def __getattr__(self, name):
        if not self.__dict__["_parsed_"] and name in self._flags():
            self(sys.argv)
        return super().__getattr__(name)


FLAGS = _ImplicitlyParsedFlagValues()
