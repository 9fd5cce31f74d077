"""Nothing read from a file executes code: no pickle/marshal/eval/exec on the import graph of torchmeta.io and
torchmeta.framework, and a graph holding PyFunc / EagerPyFunc nodes never runs Python."""

import ast
import os

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "pickletools"}
_BANNED_CALLS = {"eval", "exec", "compile", "__import__"}
_BANNED_ATTRIBUTES = {("torch", "load"), ("np", "load"), ("numpy", "load")}


def _module_file(name: str) -> str | None:
    base = os.path.join(ROOT, *name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _torchmeta_imports(tree: ast.AST, module: str) -> set[str]:
    found = set()
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("torchmeta"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("torchmeta"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return {name for name in found if _module_file(name)}


def _import_graph(roots) -> dict[str, str]:
    """Every torchmeta module reachable from ``roots`` through imports (function-level ones too): name -> file."""
    seen, todo = {}, list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        todo.extend(_torchmeta_imports(tree, name))
    return seen


def _violations(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in _BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _BANNED_MODULES:
            out.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BANNED_CALLS:
            out.append(f"{node.func.id}() at line {node.lineno}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and not (node.args and isinstance(node.args[0], ast.Constant))
        ):
            out.append(f"import_module of a computed name at line {node.lineno}")  # names from a file
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in _BANNED_ATTRIBUTES
        ):
            out.append(f"{node.value.id}.{node.attr} at line {node.lineno}")
    return out


def test_the_readers_import_graph_has_no_pickle_marshal_eval_or_exec():
    modules = _import_graph(["torchmeta.io", "torchmeta.framework"])
    assert "torchmeta.io.safetensors_checkpoint" in modules and "torchmeta.framework.importer" in modules
    assert len(modules) > 20
    bad = {name: v for name, path in modules.items() if (v := _violations(path))}
    assert not bad, bad


def test_the_scan_finds_what_it_looks_for(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(
        "import pickle\nfrom marshal import loads\nx = eval('1')\nimport torch\ntorch.load('f')\n"
        "import importlib\nimportlib.import_module(x)\nimportlib.import_module('json')\n"
    )
    assert len(_violations(str(path))) == 5


@pytest.mark.parametrize("op_type", ["PyFunc", "EagerPyFunc", "PyFuncStateless"])
def test_py_func_nodes_in_a_loaded_graph_never_run_python(tf1, tmp_path, op_type):
    marker = tmp_path / "ran"

    def side_effect(x):
        marker.write_text("executed")
        return x

    x = tf1.placeholder(tf1.float32, [2], name="x")
    if op_type == "EagerPyFunc":
        y = tf1.py_function(side_effect, [x], tf1.float32, name="y")
    else:
        y = tf1.py_func(side_effect, [x], tf1.float32, stateful=op_type == "PyFunc", name="y")
    assert y.op.type == op_type
    tf1.add_to_collection("out", y)
    path = str(tmp_path / "m.meta")
    tf1.train.export_meta_graph(path)
    with tm.Graph().as_default() as g, pytest.raises(errors.UnimplementedError) as info:
        tm.train.import_meta_graph(path)
        with tm.Session(graph=g) as sess:
            sess.run("y:0", {"x:0": np.ones(2, np.float32)})
    assert op_type in str(info.value)
    assert not marker.exists()
