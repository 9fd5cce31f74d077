"""The ``torchmeta`` command: ``show``, ``run``, ``convert`` and ``eject`` for SavedModels, MetaGraphs and checkpoints.

``torchmeta show`` and ``torchmeta run`` take ``saved_model_cli``'s flags and print its layout, word for word, so
what a TensorFlow user knows carries over::

    torchmeta show --dir /tmp/export --all
    torchmeta run --dir /tmp/export --tag_set serve --signature_def serving_default --inputs x=x.npy
    torchmeta convert model-1000 model-1000            # TF V2 checkpoint <-> safetensors, .meta <-> .pbtxt
    torchmeta convert model.meta /tmp/export --checkpoint model-1000 --input x=x:0 --output y=y:0
    torchmeta eject --dir /tmp/export --out /tmp/plain    # a torch-only .py + .safetensors

Exit codes: 0 done, 1 a missing, corrupt or unusable input (one line on stderr naming the file), 2 usage.
Inputs are read without running code: ``.npy``/``.npz`` without pickles, ``--input_exprs`` as Python literals.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import re
import sys

import numpy as np

from torchmeta import errors
from torchmeta._proto import example_pb2, types_pb2
from torchmeta.api.summary_ops import FileWriter
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import registry
from torchmeta.framework.meta_graph import ops_used_by_graph_def
from torchmeta.io import checkpoint_prefix, open_checkpoint, safetensors_filename, saved_object_graph
from torchmeta.io import meta_graph as meta_graph_io
from torchmeta.io import saved_model as saved_model_io
from torchmeta.runtime.session import ConfigProto, Session
from torchmeta.saved_model import loader, signature_def_utils
from torchmeta.saved_model.builder import SavedModelBuilder
from torchmeta.tools import convert as convert_lib
from torchmeta.tools import eject as eject_lib
from torchmeta.train.saver import import_meta_graph

__all__ = ["main"]

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A bad input the command reports in one line (exit code 1)."""


# -- show ------------------------------------------------------------------------------------------------------

_DTYPE_NAMES = {value: name for name, value in types_pb2.DataType.items()}


def _sanitize_tags(tag_set: str) -> list[str]:
    tags = [t.strip() for t in tag_set.split(",") if t.strip()]
    if not tags:
        raise CommandError("tag_set must contain at least one non-empty item.")
    return tags


def get_meta_graph_def(saved_model_dir: str, tag_set: str):
    """The MetaGraphDef of ``tag_set`` (comma-separated), as ``saved_model_cli``'s ``get_meta_graph_def``."""
    saved_model = saved_model_io.parse_saved_model(saved_model_dir)
    wanted = {tag for tag in tag_set.split(",") if tag}
    valid_tags = []
    for meta_graph_def in saved_model.meta_graphs:
        tags = set(meta_graph_def.meta_info_def.tags)
        if tags == wanted:
            return meta_graph_def
        valid_tags.append(",".join(tags))
    raise CommandError(
        f"MetaGraphDef associated with tag-set {tag_set} could not be found in the SavedModel. Please use one of "
        f"the following tag-sets: {valid_tags}"
    )


def _print_tensor_info(out, tensor_info, indent=0):
    pad = "  " * indent
    out.append(pad + "    dtype: " + _DTYPE_NAMES[tensor_info.dtype])
    if tensor_info.tensor_shape.unknown_rank:
        shape = "unknown_rank"
    else:
        shape = "(" + ", ".join(str(dim.size) for dim in tensor_info.tensor_shape.dim) + ")"
    out.append(pad + "    shape: " + shape)
    out.append(pad + "    name: " + tensor_info.name)


def _signature(meta_graph_def, key):
    if key not in meta_graph_def.signature_def:
        raise CommandError(
            f'Could not find signature "{key}". Please choose from: {", ".join(meta_graph_def.signature_def.keys())}'
        )
    return meta_graph_def.signature_def[key]


def _show_inputs_outputs(out, meta_graph_def, key, indent=0):
    signature = _signature(meta_graph_def, key)
    pad = "  " * indent
    out.append(pad + "The given SavedModel SignatureDef contains the following input(s):")
    for name, info in sorted(signature.inputs.items()):
        out.append(pad + f"  inputs['{name}'] tensor_info:")
        _print_tensor_info(out, info, indent + 1)
    out.append(pad + "The given SavedModel SignatureDef contains the following output(s):")
    for name, info in sorted(signature.outputs.items()):
        out.append(pad + f"  outputs['{name}'] tensor_info:")
        _print_tensor_info(out, info, indent + 1)
    out.append(pad + f"Method name is: {signature.method_name}")


def _show_ops(out, meta_graph_def):
    ops = sorted(set(ops_used_by_graph_def(meta_graph_def.graph_def)))
    tags = list(meta_graph_def.meta_info_def.tags)
    # saved_model_cli prints a Python set (in hash order); the same set, sorted.
    out.append(f"The MetaGraph with tag set {tags} contains the following ops: {{{', '.join(map(repr, ops))}}}")


def _show_meta_graph(out, meta_graph_def):
    tags = ", ".join(meta_graph_def.meta_info_def.tags)
    out.append("")
    out.append(f"MetaGraphDef with tag-set: '{tags}' contains the following SignatureDefs:")
    for key in sorted(meta_graph_def.signature_def):
        out.append("")
        out.append(f"signature_def['{key}']:")
        _show_inputs_outputs(out, meta_graph_def, key, indent=1)
    _show_ops(out, meta_graph_def)


def _print_args(out, arguments, argument_type="Argument", indent=0):
    """saved_model_cli's _print_args: one block per argument (TensorSpecs by name, other values with their type)."""
    pad = "  " * indent

    def quoted(value):
        return f"'{value}'" if isinstance(value, str) else str(value)

    for index, element in enumerate(arguments, 1):
        if indent == 4:
            out.append(f"{pad}{argument_type} #{index}")
        if isinstance(element, str):
            out.append(f"{pad}  {element}")
        elif isinstance(element, saved_object_graph.TensorSpec):
            out.append("  " * (indent + 1) + f"{element.name}: {element!r}")
        elif isinstance(element, (list, tuple)):
            out.append(f"{pad}  DType: {type(element).__name__}")
            # saved_model_cli ends the list with two backspaces over its last ", "
            out.append(f"{pad}  Value: [" + "".join(f"{quoted(v)}, " for v in element) + "\b\b]")
        elif isinstance(element, dict):
            out.append(f"{pad}  DType: dict")
            out.append(f"{pad}  Value: {{" + "".join(f"'{k}': {quoted(v)}, " for k, v in element.items()) + "\b\b}")
        else:
            out.append(f"{pad}  DType: {type(element).__name__}")
            out.append(f"{pad}  Value: {element}")


def _show_defined_functions(out, meta_graphs):
    """saved_model_cli's "Concrete Functions" section: the root object's tf.functions and the signatures of their
    concrete functions, read from the object graph (TF2 SavedModels; nothing for TF1 ones)."""
    with_object_graph = [m for m in meta_graphs if m.HasField("object_graph_def")]
    if not with_object_graph:
        return
    out.append("")
    out.append("Concrete Functions:")
    for name, signatures in saved_object_graph.root_functions(with_object_graph[0]):
        out.append(f"  Function Name: '{name}'")
        for index, (args, kwargs) in enumerate(signatures, 1):
            if args:
                out.append(f"    Option #{index}")
                out.append("      Callable with:")
                _print_args(out, args, indent=4)
            if kwargs:
                _print_args(out, kwargs, "Named Argument", indent=4)
        out.append("")
    out.pop()  # saved_model_cli starts each function with a newline, so the section ends without one


def show_lines(path, tag_set=None, signature_def=None, show_all=False, list_ops=False) -> list[str]:
    """What ``torchmeta show`` prints for a SavedModel directory or a ``.meta``/``.pbtxt`` MetaGraph file."""
    out: list[str] = []
    path = os.fspath(path)
    if os.path.isfile(path):
        meta_graph_def = meta_graph_io.read_meta_graph_file(path)
        if signature_def:
            _show_inputs_outputs(out, meta_graph_def, signature_def)
        else:
            _show_meta_graph(out, meta_graph_def)
            for key in sorted(meta_graph_def.collection_def):
                kind = meta_graph_def.collection_def[key].WhichOneof("kind")
                count = len(getattr(meta_graph_def.collection_def[key], kind).value) if kind else 0
                out.append(f"collection '{key}': {count} {kind or 'empty'}")
        return out
    if show_all:
        saved_model = saved_model_io.parse_saved_model(path)
        for meta_graph_def in sorted(saved_model.meta_graphs, key=lambda m: list(m.meta_info_def.tags)):
            _show_meta_graph(out, meta_graph_def)
        _show_defined_functions(out, saved_model.meta_graphs)
        return out
    if tag_set is None:
        if list_ops:
            out.append("--list_ops must be paired with a tag-set or with --all.")
        saved_model = saved_model_io.parse_saved_model(path)
        out.append("The given SavedModel contains the following tag-sets:")
        for tags in sorted(list(m.meta_info_def.tags) for m in saved_model.meta_graphs):
            out.append(repr(", ".join(sorted(tags))))
        return out
    meta_graph_def = get_meta_graph_def(path, ",".join(_sanitize_tags(tag_set)))
    if list_ops:
        _show_ops(out, meta_graph_def)
    if signature_def is None:
        out.append("The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:")
        for key in sorted(meta_graph_def.signature_def):
            out.append(f'SignatureDef key: "{key}"')
    else:
        _show_inputs_outputs(out, meta_graph_def, signature_def)
    return out


def _tensor_info_json(info) -> dict:
    shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
    return {"name": info.name, "dtype": _DTYPE_NAMES[info.dtype], "shape": shape}


def _variables(meta_graph_def) -> list[dict]:
    """The variables a MetaGraph defines (VariableV2/VarHandleOp nodes): name, dtype, shape and size in bytes."""
    out = []
    for node in meta_graph_def.graph_def.node:
        if node.op not in ("VariableV2", "VarHandleOp", "Variable"):
            continue
        dtype = DType(node.attr["dtype"].type)
        shape = [d.size for d in node.attr["shape"].shape.dim]
        count = 1
        for d in shape:
            count *= max(d, 0)
        out.append({"name": node.name, "dtype": dtype.name, "shape": shape, "bytes": count * (dtype.size or 0)})
    return out


def _op_histogram(meta_graph_def) -> list[dict]:
    counts = collections.Counter(node.op for node in meta_graph_def.graph_def.node)
    for function in meta_graph_def.graph_def.library.function:
        counts.update(node.op for node in function.node_def)
    return [
        {"op": op, "count": n, "supported": registry.get(op) is not None}
        for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def meta_graph_json(meta_graph_def) -> dict:
    """What ``torchmeta show --json`` prints for one MetaGraph."""
    return {
        "tags": list(meta_graph_def.meta_info_def.tags),
        "signatures": {
            key: {
                "method_name": sig.method_name,
                "inputs": {k: _tensor_info_json(v) for k, v in sorted(sig.inputs.items())},
                "outputs": {k: _tensor_info_json(v) for k, v in sorted(sig.outputs.items())},
            }
            for key, sig in sorted(meta_graph_def.signature_def.items())
        },
        "collections": {
            key: meta_graph_def.collection_def[key].WhichOneof("kind") for key in sorted(meta_graph_def.collection_def)
        },
        "variables": _variables(meta_graph_def),
        "ops": _op_histogram(meta_graph_def),
    }


def _detail_lines(meta_graph_def) -> list[str]:
    out = []
    for var in _variables(meta_graph_def):
        out.append(f"variable {var['name']}: {var['dtype']} {var['shape']} ({var['bytes']} bytes)")
    for op in _op_histogram(meta_graph_def):
        missing = "" if op["supported"] else "  (not in torchmeta)"
        out.append(f"op {op['op']}: {op['count']}{missing}")
    return out


_META_GRAPH_SUFFIXES = (".meta", ".pbtxt", ".pb")


def _show_checkpoint(args) -> int:
    """A checkpoint's tensors (TF V2 or safetensors), or with --tensor/--all-tensors their values."""
    with open_checkpoint(args.path) as reader:
        if args.tensor or args.all_tensors:
            for name in reader.keys() if args.all_tensors else args.tensor:
                print(convert_lib.format_tensor_values(reader, name, args.summarize))
        else:
            print("\n".join(convert_lib.checkpoint_listing(reader)))
    return EXIT_OK


def _cmd_show(args) -> int:
    path = args.dir or args.path
    if path is None:
        raise CommandError("show needs --dir DIR (a SavedModel) or PATH (a .meta/.pbtxt file or a checkpoint)")
    if args.dir is None and (
        args.checkpoint_only
        or args.tensor
        or args.all_tensors
        or not (os.path.isdir(path) or path.endswith(_META_GRAPH_SUFFIXES))
    ):
        return _show_checkpoint(args)
    if args.json:
        if os.path.isfile(path):
            meta_graphs = [meta_graph_io.read_meta_graph_file(path)]
        else:
            meta_graphs = list(saved_model_io.parse_saved_model(path).meta_graphs)
        print(json.dumps({"path": path, "meta_graphs": [meta_graph_json(m) for m in meta_graphs]}, indent=1))
        return EXIT_OK
    print("\n".join(show_lines(path, args.tag_set, args.signature_def, args.all, args.list_ops)))
    if args.details:
        if os.path.isfile(path):
            meta_graphs = [meta_graph_io.read_meta_graph_file(path)]
        else:
            meta_graphs = list(saved_model_io.parse_saved_model(path).meta_graphs)
        for meta_graph_def in meta_graphs:
            print(f"\nMetaGraphDef with tag-set: '{', '.join(meta_graph_def.meta_info_def.tags)}':")
            print("\n".join(_detail_lines(meta_graph_def)))
    return EXIT_OK


# -- run -------------------------------------------------------------------------------------------------------


def _parse_inputs(inputs_str: str) -> dict:
    """``key=file.npy`` / ``key=file.npz[name]`` pairs separated by ``;`` (saved_model_cli's syntax)."""
    parsed = {}
    for raw in filter(bool, (inputs_str or "").split(";")):
        match = re.match(r"([^=]+)=([^\[\]]+)\[([^\[\]]+)\]$", raw) or re.match(r"([^=]+)=([^\[\]]+)$", raw)
        if not match:
            raise CommandError(
                f'--inputs "{raw}" format is incorrect. Please follow"<input_key>=<filename>", or'
                '"<input_key>=<filename>[<variable_name>]"'
            )
        parsed[match.group(1)] = (match.group(2), match.group(3) if match.lastindex == 3 else None)
    feed = {}
    for key, (filename, variable) in parsed.items():
        if not os.path.exists(filename):
            raise CommandError(f"Input file {filename} does not exist.")
        try:
            data = np.load(filename, allow_pickle=False)
        except ValueError as e:
            raise CommandError(f"Cannot read input file {filename}: {e} (only .npy and .npz files are read)") from None
        if isinstance(data, np.ndarray):
            feed[key] = data
        elif variable:
            if variable not in data.files:
                raise CommandError(f'Input file {filename} does not contain variable with name "{variable}".')
            feed[key] = data[variable]
        else:
            if len(data.files) != 1:
                raise CommandError(
                    f"Input file {filename} contains more than one ndarrays. Please specify the name of ndarray to use."
                )
            feed[key] = data[data.files[0]]
    return feed


def _parse_input_exprs(exprs_str: str) -> dict:
    """``key=<Python literal>`` pairs separated by ``;`` (literals only: nothing is executed)."""
    feed = {}
    for raw in filter(bool, (exprs_str or "").split(";")):
        if "=" not in raw:
            raise CommandError(
                f'--input_exprs "{exprs_str}" format is incorrect. Please follow"<input_key>=<python expression>"'
            )
        key, expr = raw.split("=", 1)
        try:
            feed[key] = ast.literal_eval(expr)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise CommandError(f'Expression "{expr}" is not a valid python literal.') from None
    return feed


def _example(features: dict) -> bytes:
    example = example_pb2.Example()
    for name, values in features.items():
        if not isinstance(values, list) or not values:
            raise CommandError(f'feature value must be a list, but {name}: "{values}" is {type(values)}')
        feature = example.features.feature[name]
        first = values[0]
        if isinstance(first, float):
            feature.float_list.value.extend(values)
        elif isinstance(first, str):
            feature.bytes_list.value.extend(v.encode("utf8") for v in values)
        elif isinstance(first, bytes):
            feature.bytes_list.value.extend(values)
        elif isinstance(first, int):
            feature.int64_list.value.extend(values)
        else:
            raise CommandError(f"Type {type(first)} for value {first} is not supported for tf.train.Feature.")
    return example.SerializeToString()


def _parse_input_examples(examples_str: str) -> dict:
    feed = {}
    for key, examples in _parse_input_exprs(examples_str).items():
        if not isinstance(examples, list):
            raise CommandError(f'tf.Example input must be a list of dictionaries, but "{examples}" is {type(examples)}')
        feed[key] = [_example(e) for e in examples]
    return feed


def run_saved_model(saved_model_dir, tag_set, signature_def_key, feed, outdir=None, overwrite=False, device=None):
    """Runs a SavedModel signature on ``feed`` ({input key: value}); returns [(output key, value)] sorted by key."""
    tags = _sanitize_tags(tag_set)
    meta_graph_def = get_meta_graph_def(saved_model_dir, ",".join(tags))
    signature = _signature(meta_graph_def, signature_def_key)
    for key in feed:
        if key not in signature.inputs:
            choices = '"' + '", "'.join(signature.inputs.keys()) + '"'
            raise CommandError(f'"{key}" is not a valid input key. Please choose from {choices}, or use --show option.')
    output_keys = sorted(signature.outputs)
    config = ConfigProto(device=device) if device else None
    with Session(graph=graph_lib.Graph(), config=config) as sess:
        loader.load(sess, tags, saved_model_dir)
        values = sess.run(
            [signature.outputs[k].name for k in output_keys],
            {signature.inputs[k].name: v for k, v in feed.items()},
        )
    results = list(zip(output_keys, values))
    if outdir:
        os.makedirs(outdir, exist_ok=True)
        for key in output_keys:
            path = os.path.join(outdir, key + ".npy")
            if not overwrite and os.path.exists(path):
                raise CommandError(
                    f'Output file {path} already exists. Add "--overwrite" to overwrite the existing output files.'
                )
    return results


def run_meta_graph(meta_path, checkpoint, fetches, feed, device=None):
    """Runs ``fetches`` (tensor names) of a ``.meta`` graph, variables from ``checkpoint``, on ``feed``
    ({tensor name: value}); returns [(fetch, value)] in the order given."""
    graph = graph_lib.Graph()
    config = ConfigProto(device=device) if device else None
    with graph.as_default():
        saver = import_meta_graph(meta_path)
        with Session(graph=graph, config=config) as sess:
            if saver is not None:
                if not checkpoint:
                    raise CommandError(f"{meta_path} has variables: give their values with --checkpoint PREFIX")
                saver.restore(sess, checkpoint_prefix(checkpoint))
            for name in [*feed, *fetches]:
                try:
                    graph.as_graph_element(name, allow_tensor=True, allow_operation=False)
                except (KeyError, ValueError, TypeError) as e:
                    raise CommandError(f"{name!r} is not a tensor of {meta_path}: {e}") from None
            values = sess.run(list(fetches), feed)
    return list(zip(fetches, values))


def _output_file_name(key: str) -> str:
    return key.replace("/", "_").replace(":", "_") + ".npy"


def _cmd_run(args) -> int:
    if not args.inputs and not args.input_exprs and not args.input_examples:
        raise CommandError("At least one of --inputs, --input_exprs or --input_examples must be required")
    feed = _parse_inputs(args.inputs)
    feed.update(_parse_input_exprs(args.input_exprs))
    feed.update(_parse_input_examples(args.input_examples))
    if args.dir:
        if not args.tag_set or not args.signature_def:
            raise CommandError("run --dir needs --tag_set and --signature_def")
        results = run_saved_model(
            args.dir, args.tag_set, args.signature_def, feed, args.outdir, args.overwrite, args.device
        )
    elif args.path and args.fetch:
        results = run_meta_graph(args.path, args.checkpoint, args.fetch, feed, args.device)
    else:
        raise CommandError("run needs --dir DIR (a SavedModel) or a .meta PATH with --fetch (and --checkpoint)")
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)
    for key, value in results:
        print(f"Result for output key {key}:\n{value}")
        if args.outdir:
            path = os.path.join(args.outdir, _output_file_name(key))
            if not args.overwrite and os.path.exists(path) and not args.dir:
                raise CommandError(
                    f'Output file {path} already exists. Add "--overwrite" to overwrite the existing output files.'
                )
            np.save(path, value)
            print(f"Output {key} is saved to {path}")
    return EXIT_OK


# -- convert ---------------------------------------------------------------------------------------------------


def _tensor_pairs(items) -> dict:
    out = {}
    for item in items or ():
        key, sep, name = item.partition("=")
        if not sep or not key or not name:
            raise CommandError(f"wants KEY=TENSOR_NAME, got {item!r}")
        out[key] = name
    return out


def meta_graph_to_saved_model(meta_path, checkpoint, export_dir, inputs, outputs, tags=("serve",), as_text=False):
    """A SavedModel from a ``.meta`` and a checkpoint, with a ``serving_default`` predict signature.

    ``inputs`` / ``outputs`` map signature keys to tensor names; with neither, no signature is written.
    """
    graph = graph_lib.Graph()
    with graph.as_default():
        saver = import_meta_graph(meta_path)
        with Session(graph=graph) as sess:
            if saver is not None:
                saver.restore(sess, checkpoint_prefix(checkpoint) if checkpoint else None)
            signatures = {}
            if inputs or outputs:
                signatures["serving_default"] = signature_def_utils.predict_signature_def(
                    {k: graph.get_tensor_by_name(v) for k, v in inputs.items()},
                    {k: graph.get_tensor_by_name(v) for k, v in outputs.items()},
                )
            builder = SavedModelBuilder(export_dir)
            builder.add_meta_graph_and_variables(sess, list(tags), signature_def_map=signatures)
    return builder.save(as_text=as_text).decode()


def _cmd_convert(args) -> int:
    src, dst = args.src, args.dst
    if args.checkpoint or args.input or args.output or args.to == "saved_model":
        path = meta_graph_to_saved_model(
            src,
            args.checkpoint,
            dst,
            _tensor_pairs(args.input),
            _tensor_pairs(args.output),
            _sanitize_tags(args.tag_set),
        )
        if not args.quiet:
            print(f"wrote {path}")
        return EXIT_OK
    if src.endswith((".meta", ".pbtxt", ".pb")) and os.path.isfile(src):
        as_text = args.to == "pbtxt" if args.to else not dst.endswith(".meta")
        meta_graph_def = meta_graph_io.read_meta_graph_file(src)
        written = meta_graph_io.write_meta_graph_file(meta_graph_def, dst, as_text=as_text)
        if not args.quiet:
            print(f"wrote {written}")
        return EXIT_OK
    progress = False if args.quiet else args.progress
    to = args.to or ("tf" if src.endswith(".safetensors") or os.path.exists(src + ".safetensors") else "safetensors")
    if to not in ("tf", "safetensors"):
        raise CommandError(f"cannot convert {src} to {to}: give a .meta/.pbtxt file (or --checkpoint for a SavedModel)")
    _make_parent_dirs(dst)
    if to == "tf":
        written = convert_lib.safetensors_to_tf(src, dst, progress=progress)
    else:
        metadata = dict(args.metadata or ())
        written = [safetensors_filename(convert_lib.tf_to_safetensors(src, dst, metadata=metadata, progress=progress))]
    if not args.quiet:
        print("wrote " + " ".join(written))
    return EXIT_OK


def _make_parent_dirs(path: str):
    """Creates the directory an output prefix goes into (the library leaves that to its callers)."""
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)


def _metadata_item(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"wants KEY=VALUE, got {item!r}")
    return key, value


# -- eject -----------------------------------------------------------------------------------------------------


def _cmd_eject(args) -> int:
    if args.dir:
        written = eject_lib.eject_saved_model(
            args.dir, args.out, tags=_sanitize_tags(args.tag_set), signature_def_key=args.signature_def, name=args.name
        )
    else:
        if not args.meta or not args.inputs or not args.outputs:
            raise CommandError("eject needs --dir (a SavedModel) or --meta with --inputs and --outputs")
        written = eject_lib.eject(
            args.meta,
            args.out,
            inputs=args.inputs.split(","),
            outputs=args.outputs.split(","),
            checkpoint=args.checkpoint,
            name=args.name,
        )
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def _cmd_tensorboard_graph(args) -> int:
    if os.path.isdir(args.path):
        meta_graph_def = get_meta_graph_def(args.path, ",".join(_sanitize_tags(args.tag_set)))
    else:
        meta_graph_def = meta_graph_io.read_meta_graph_file(args.path)
    writer = FileWriter(args.logdir, graph_def=meta_graph_def.graph_def)
    writer.add_meta_graph(meta_graph_def)
    writer.close()
    print(f"wrote the graph to {writer.get_logdir()}")
    return EXIT_OK


# -- the command -----------------------------------------------------------------------------------------------


def _show_arguments(show: argparse.ArgumentParser, checkpoint_only=False):
    if checkpoint_only:
        show.add_argument(
            "path", metavar="prefix", help="checkpoint prefix (model-1000), one of its files, or a .safetensors file"
        )
    else:
        show.add_argument("path", nargs="?", help="a .meta/.pbtxt MetaGraph or a checkpoint (or use --dir)")
        show.add_argument("--dir", help="the SavedModel directory")
        show.add_argument("--tag_set", help="comma-separated tags of a MetaGraph")
        show.add_argument("--signature_def", help="a SignatureDef key: print its inputs and outputs")
        show.add_argument("--all", action="store_true", help="every tag-set, SignatureDef, op and concrete function")
        show.add_argument("--list_ops", action="store_true", help="the op types of the MetaGraph")
        show.add_argument("--json", action="store_true", help="tags, signatures, collections, variables, ops as JSON")
        show.add_argument(
            "--details", action="store_true", help="also the variables (shape, size) and op types (marking unsupported)"
        )
    show.add_argument(
        "--tensor", action="append", default=[], metavar="NAME", help="checkpoint: print this tensor's values"
    )
    show.add_argument("--all-tensors", action="store_true", help="checkpoint: print every tensor's values")
    show.add_argument(
        "--summarize",
        type=int,
        default=1000,
        metavar="N",
        help="checkpoint: print at most about N values per tensor (-1: all)",
    )
    show.set_defaults(func=_cmd_show, checkpoint_only=checkpoint_only, dir=None)


def _convert_arguments(convert: argparse.ArgumentParser, to: str | None = None):
    convert.add_argument("src", help="checkpoint prefix (or one of its files), .safetensors, .meta/.pbtxt file")
    convert.add_argument("dst", help="output prefix, file or SavedModel directory")
    if to is None:
        convert.add_argument(
            "--to", choices=("tf", "safetensors", "meta", "pbtxt", "saved_model"), help="output format"
        )
        convert.add_argument("--checkpoint", help="SavedModel: the checkpoint to take the variables from")
        convert.add_argument("--input", action="append", metavar="KEY=TENSOR", help="SavedModel: a signature input")
        convert.add_argument("--output", action="append", metavar="KEY=TENSOR", help="SavedModel: a signature output")
        convert.add_argument("--tag_set", default="serve", help="SavedModel: the MetaGraph's tags (default serve)")
    if to in (None, "safetensors"):
        convert.add_argument(
            "--metadata",
            action="append",
            default=[],
            type=_metadata_item,
            metavar="KEY=VALUE",
            help="safetensors: extra header metadata",
        )
    progress = convert.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show a progress bar"
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    progress.add_argument(
        "--quiet", action="store_true", help="print nothing but errors (no progress bar, no 'wrote' lines)"
    )
    convert.set_defaults(func=_cmd_convert, to=to, checkpoint=None, input=None, output=None, tag_set="serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchmeta",
        description="Inspect, run, convert and eject TensorFlow SavedModels, MetaGraphs and checkpoints.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{show,run,convert,eject,tensorboard-graph}")

    show = sub.add_parser("show", help="what a SavedModel (or a .meta, or a checkpoint) holds, as saved_model_cli")
    _show_arguments(show)

    run = sub.add_parser("run", help="run a SavedModel signature (or tensors of a .meta) on inputs, as saved_model_cli")
    run.add_argument("path", nargs="?", help="a .meta/.pbtxt file (with --fetch and --checkpoint), or use --dir")
    run.add_argument("--dir", help="the SavedModel directory")
    run.add_argument("--tag_set", help="comma-separated tags of the MetaGraph")
    run.add_argument("--signature_def", help="the SignatureDef key, e.g. serving_default")
    run.add_argument("--fetch", action="append", metavar="TENSOR", help="with a .meta: a tensor to compute, e.g. y:0")
    run.add_argument("--checkpoint", help="with a .meta: the checkpoint prefix of its variables")
    run.add_argument("--inputs", default="", help="key=file.npy;key=file.npz[name] (no pickles)")
    run.add_argument("--input_exprs", default="", help="key=<Python literal>;... e.g. 'x=[[1.0, 2.0]]'")
    run.add_argument("--input_examples", default="", help="key=[{feature: [values]}];... (tf.Examples)")
    run.add_argument("--outdir", help="also save each output to OUTDIR/<key>.npy")
    run.add_argument("--overwrite", action="store_true", help="replace existing output files")
    run.add_argument("--device", help="run on this torch device (cpu, cuda, cuda:1)")
    run.set_defaults(func=_cmd_run)

    convert = sub.add_parser(
        "convert",
        help="TF V2 checkpoint <-> safetensors, .meta <-> .pbtxt, or .meta + checkpoint -> SavedModel",
    )
    _convert_arguments(convert)

    eject = sub.add_parser("eject", help="write a graph as a standalone PyTorch module (.py + .safetensors)")
    eject.add_argument("--dir", help="a SavedModel directory (its signature's inputs and outputs)")
    eject.add_argument("--tag_set", default="serve", help="the SavedModel MetaGraph's tags (default serve)")
    eject.add_argument("--signature_def", default="serving_default", help="the signature to eject")
    eject.add_argument("--meta", help="or a .meta file, with --inputs, --outputs and --checkpoint")
    eject.add_argument("--inputs", help="comma-separated input tensor names (with --meta)")
    eject.add_argument("--outputs", help="comma-separated output tensor names (with --meta)")
    eject.add_argument("--checkpoint", help="the checkpoint prefix of the variables (with --meta)")
    eject.add_argument("--out", required=True, help="the output directory")
    eject.add_argument("--name", default="model", help="base name of the files written (default model)")
    eject.set_defaults(func=_cmd_eject)

    board = sub.add_parser("tensorboard-graph", help="write the graph as an event file TensorBoard shows")
    board.add_argument("path", help="a SavedModel directory or a .meta/.pbtxt file")
    board.add_argument("logdir", help="the TensorBoard log directory")
    board.add_argument("--tag_set", default="serve", help="the SavedModel MetaGraph's tags (default serve)")
    board.set_defaults(func=_cmd_tensorboard_graph)
    return parser


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _run(parser: argparse.ArgumentParser, argv, prog=None) -> int:
    """Parses ``argv`` and runs the command; failures become an exit code and one line on stderr."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, message already printed)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    prog = prog or f"{parser.prog} {args.command}"
    try:
        return args.func(args) or EXIT_OK
    except (CommandError, errors.TorchMetaError, OSError, ValueError, TypeError, RuntimeError, KeyError) as e:
        message = _one_line(e)
        source = getattr(args, "src", None) or getattr(args, "path", None)
        if isinstance(e, errors.NotFoundError) and message.startswith("Key ") and source:
            message += f" {source}"  # TF's "Key x not found in checkpoint <prefix>"
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Runs ``torchmeta <command> ...``; returns the exit code."""
    return _run(build_parser(), argv)


# The old converter scripts are these commands under their own names (converters/*.py): the same options as
# before, each a fixed form of ``torchmeta convert`` / ``torchmeta show``.
ALIASES = {
    "torchmeta-tf2safetensors": (
        "convert",
        "safetensors",
        "Convert a TensorFlow V2 checkpoint (PREFIX.index + PREFIX.data-*) to PREFIX.safetensors "
        "(torchmeta convert SRC DST --to safetensors).",
    ),
    "torchmeta-safetensors2tf": (
        "convert",
        "tf",
        "Convert a .safetensors checkpoint to a TensorFlow V2 checkpoint (DST.index + DST.data-*) "
        "(torchmeta convert SRC DST --to tf).",
    ),
    "torchmeta-inspect": (
        "show",
        None,
        "List the tensors of a checkpoint (TensorFlow V2 or safetensors): name, dtype, shape, bytes "
        "(torchmeta show PREFIX).",
    ),
}


def alias_main(prog: str, argv: list[str] | None = None) -> int:
    """Runs the old converter script ``prog`` (a key of ``ALIASES``) as the ``torchmeta`` command it stands for."""
    command, to, description = ALIASES[prog]
    parser = argparse.ArgumentParser(prog=prog, description=description)
    if command == "convert":
        _convert_arguments(parser, to=to)
    else:
        _show_arguments(parser, checkpoint_only=True)
    parser.set_defaults(command=command)
    return _run(parser, argv, prog=prog)


if __name__ == "__main__":
    raise SystemExit(main())
