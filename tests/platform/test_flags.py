"""tf.flags against absl.flags (what TensorFlow's tf.flags is): same definitions, same argv, same outcome.

Each case defines the same flags in a fresh absl ``FlagValues`` and in a fresh torchmeta ``FlagValues``,
parses the same command line, and compares what came back: the remaining arguments and every flag's
value, or the exception's type and message.
"""

from __future__ import annotations

import sys

import pytest

from torchmeta.platform import flags as tm_flags

absl_flags = pytest.importorskip("absl.flags")


def _define(F, fv):
    F.DEFINE_string("name", "default", "a string", flag_values=fv)
    F.DEFINE_string("nothing", None, "a string without default", flag_values=fv)
    F.DEFINE_integer("steps", 10, "an integer", flag_values=fv)
    F.DEFINE_integer("batch", 32, "a bounded integer", lower_bound=1, upper_bound=1024, flag_values=fv)
    F.DEFINE_float("lr", 0.01, "a float", flag_values=fv)
    F.DEFINE_float("keep", 0.5, "a bounded float", lower_bound=0.0, upper_bound=1.0, flag_values=fv)
    F.DEFINE_boolean("fast", False, "a boolean", flag_values=fv)
    F.DEFINE_bool("verbose", True, "another boolean", flag_values=fv)
    F.DEFINE_list("layers", "64,32", "a list", flag_values=fv)
    F.DEFINE_enum("opt", "sgd", ["sgd", "adam", "Momentum"], "an enum", flag_values=fv)
    F.DEFINE_enum("mode", "train", ["train", "EVAL"], "a case-insensitive enum", case_sensitive=False, flag_values=fv)
    F.DEFINE_multi_string("tag", [], "a repeated string", flag_values=fv)
    F.DEFINE_multi_integer("seed", 1, "a repeated integer", flag_values=fv)
    F.DEFINE_spaceseplist("words", "a b", "a space-separated list", flag_values=fv)


CASES = {
    "nothing": [],
    "equals": ["--name=x", "--steps=5", "--lr=1e-3", "--fast"],
    "separate-values": ["--name", "x y", "--steps", "-7", "--lr", "2"],
    "single-dash": ["-name=x", "-steps", "3", "-fast"],
    "hex-octal": ["--steps=0x1f", "--batch=0o17"],
    "bool-forms": ["--nofast", "--verbose=false"],
    "bool-words": ["--fast=t", "--verbose=0"],
    "bool-bad": ["--fast=yes"],
    "nobool-with-value": ["--nofast=1"],
    "int-bad": ["--steps=ten"],
    "float-bad": ["--lr=fast"],
    "bound-low": ["--batch=0"],
    "bound-high": ["--keep=1.5"],
    "list": ["--layers=a, b,'c'", "--layers=1,2,3"],
    "list-quoted": ['--layers="x,y",z'],
    "list-empty": ["--layers="],
    "enum": ["--opt=adam", "--mode=eval"],
    "enum-bad": ["--opt=Adam"],
    "multi": ["--tag=a", "--tag", "b", "--seed=3", "--seed=4"],
    "spaceseplist": ["--words=x  y z"],
    "positional-mixed": ["a", "--steps=2", "b", "--", "--fast", "c"],
    "dashes": ["-", "--steps=2"],
    "unknown": ["--stepz=3"],
    "unknown-suggestion": ["--step=3"],
    "unknown-bool-form": ["--nofastt"],
    "undefok": ["--undefok=zz,yy", "--zz=1", "--noyy", "--steps=4"],
    "missing-value": ["--name"],
    "last-wins": ["--steps=1", "--steps=2"],
    "empty-string": ["--name="],
}


def _outcome(F, argv, known_only, extra=None):
    fv = F.FlagValues()
    _define(F, fv)
    if extra:
        extra(F, fv)
    try:
        rest = fv(["prog", *argv], known_only=known_only)
    except Exception as e:
        return (type(e).__name__, str(e))
    return ("ok", rest, fv.flag_values_dict())


@pytest.mark.parametrize("known_only", [False, True], ids=["strict", "known_only"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_parse_matches_absl(case, known_only):
    argv = CASES[case]
    assert _outcome(tm_flags, argv, known_only) == _outcome(absl_flags, argv, known_only)


def _required(F, fv):
    F.DEFINE_string("data_dir", None, "required", flag_values=fv)
    F.mark_flag_as_required("data_dir", flag_values=fv)


def _validated(F, fv):
    F.register_validator("steps", lambda v: v % 2 == 0, message="steps must be even", flag_values=fv)

    @F.validator("lr", message="lr must be small", flag_values=fv)
    def _small(v):
        return v < 1


def _exclusive(F, fv):
    F.DEFINE_string("a", None, "a", flag_values=fv)
    F.DEFINE_string("b", None, "b", flag_values=fv)
    F.mark_flags_as_mutual_exclusive(["a", "b"], flag_values=fv)


def _alias(F, fv):
    F.DEFINE_alias("n", "steps", flag_values=fv)


@pytest.mark.parametrize(
    "extra, argv",
    [
        (_required, []),
        (_required, ["--data_dir=/tmp"]),
        (_validated, ["--steps=3"]),
        (_validated, ["--steps=4", "--lr=2"]),
        (_validated, ["--steps=4", "--lr=0.5"]),
        (_exclusive, ["--a=1", "--b=2"]),
        (_exclusive, ["--a=1"]),
        (_alias, ["--n=7"]),
    ],
    ids=[
        "required-missing",
        "required",
        "validator",
        "decorated-validator",
        "valid",
        "exclusive-bad",
        "exclusive",
        "alias",
    ],
)
def test_validators_match_absl(extra, argv):
    assert _outcome(tm_flags, argv, False, extra) == _outcome(absl_flags, argv, False, extra)


def test_flagfile_matches_absl(tmp_path):
    inner = tmp_path / "inner.cfg"
    inner.write_text("--lr=0.5\n")
    outer = tmp_path / "flags.cfg"
    outer.write_text(f"# comment\n// another\n\n--steps=9\n--flagfile={inner}\n--fast\n")
    argv = [f"--flagfile={outer}", "--name=cli", "rest"]
    assert _outcome(tm_flags, argv, False) == _outcome(absl_flags, argv, False)
    missing = ["--flagfile", str(tmp_path / "nope.cfg")]
    ours, theirs = _outcome(tm_flags, missing, False), _outcome(absl_flags, missing, False)
    assert ours[0] == theirs[0] == "CantOpenFlagFileError"


def _attribute_behaviour(F):
    fv = F.FlagValues()
    _define(F, fv)
    F.register_validator("steps", lambda v: v > 0, message="positive", flag_values=fv)
    seen = []
    for action in (
        lambda: fv.steps,
        lambda: fv(["prog"]),
        lambda: fv.steps,
        lambda: setattr(fv, "steps", 7),
        lambda: (fv.steps, fv["steps"].present, fv["steps"].using_default_value),
        lambda: setattr(fv, "steps", -1),
        lambda: fv.steps,
        lambda: setattr(fv, "nope", 1),
        lambda: fv.nope,
        lambda: ("steps" in fv, "nope" in fv, fv["lr"].default, fv["layers"].default_as_str),
        lambda: fv.set_default("lr", 0.25),
        lambda: fv.lr,
        lambda: fv.unparse_flags(),
        lambda: fv.is_parsed(),
        lambda: fv.steps,
        lambda: fv(["prog", "--steps=3"]),
        lambda: (fv.steps, fv["steps"].present, fv["steps"].serialize(), fv["fast"].serialize()),
        lambda: fv["tag"].serialize(),
        lambda: fv.get_flag_value("nothing", "fallback"),
    ):
        try:
            seen.append(("ok", action()))
        except Exception as e:
            seen.append((type(e).__name__, str(e)))
    return seen


def test_attribute_access_and_assignment_match_absl():
    assert _attribute_behaviour(tm_flags) == _attribute_behaviour(absl_flags)


def _holder_behaviour(F):
    fv = F.FlagValues()
    holder = F.DEFINE_integer("count", 3, "count", flag_values=fv)
    fv(["prog", "--count=4"])
    return (holder.name, holder.value, holder.default, holder.present)


def test_flag_holders_match_absl():
    assert _holder_behaviour(tm_flags) == _holder_behaviour(absl_flags)


def _duplicate(F):
    fv = F.FlagValues()
    F.DEFINE_integer("dup", 1, "first help", flag_values=fv)
    try:
        F.DEFINE_string("dup", "x", "second", flag_values=fv)
    except Exception as e:
        return (type(e).__name__, str(e))
    return "no error"


def test_duplicate_definition_matches_absl():
    assert _duplicate(tm_flags) == _duplicate(absl_flags)


def test_global_flags_parse_sys_argv_when_first_read(monkeypatch):
    """TensorFlow's tf.flags.FLAGS parses sys.argv on first read (absl's own FLAGS would raise)."""
    fv = tm_flags._ImplicitlyParsedFlagValues()
    tm_flags.DEFINE_integer("epochs", 1, "epochs", flag_values=fv)
    monkeypatch.setattr(sys, "argv", ["prog", "--epochs=6"])
    assert fv.epochs == 6
    assert fv.is_parsed()


def test_old_keyword_names_are_accepted(caplog):
    fv = tm_flags.FlagValues()
    tm_flags.DEFINE_string(flag_name="legacy", default_value="v", docstring="old names", flag_values=fv)
    fv(["prog"])
    assert fv.legacy == "v" and fv["legacy"].help == "old names"
    assert "deprecated" in caplog.text


def test_help_lists_the_flags_by_module():
    fv = tm_flags.FlagValues()
    tm_flags.DEFINE_integer("steps", 10, "how many steps", lower_bound=0, flag_values=fv)
    tm_flags.DEFINE_boolean("fast", False, "go fast", flag_values=fv)
    theirs = absl_flags.FlagValues()
    absl_flags.DEFINE_integer("steps", 10, "how many steps", lower_bound=0, flag_values=theirs)
    absl_flags.DEFINE_boolean("fast", False, "go fast", flag_values=theirs)
    assert fv.get_help() == theirs.get_help(include_special_flags=False)
    assert str(fv).startswith(f"\n{__name__}:\n  --[no]fast: go fast\n    (default: 'false')")


def _reimport(module_source, tmp_path, name):
    mod = tmp_path / f"{name}.py"
    mod.write_text(module_source + "def define(fv):\n    flags.DEFINE_integer('again', 1, 'x', flag_values=fv)\n")
    import importlib

    fv = None
    seen = []
    sys.path.insert(0, str(tmp_path))
    try:
        for step in ("first", "reimported", "same module again"):
            if step == "reimported":
                del sys.modules[name]
            module = importlib.import_module(name)
            fv = fv or module.flags.FlagValues()
            try:
                module.define(fv)
                seen.append((step, "ok"))
            except Exception as e:
                seen.append((step, type(e).__name__))
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    return seen


def test_module_reimport_is_not_a_duplicate(tmp_path):
    """A module imported a second time (same name, new module object) may define its flags again (absl)."""
    ours = _reimport("from torchmeta.platform import flags\n", tmp_path, "flagmod_tm")
    theirs = _reimport("from absl import flags\n", tmp_path, "flagmod_absl")
    assert ours == theirs
