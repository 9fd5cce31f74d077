"""to_module: a TF subgraph as a trainable torch.fx GraphModule (variables become nn.Parameters).

module = torchmeta.to_module(graph, inputs=["images:0"], outputs=["softmax_linear/add:0"], session=sess)
logits = module(torch.randn(100, 28))          # autograd, torch.optim, .to("cuda"), torch.compile
torchmeta.assign_from_module(sess, module)     # trained values back into the session (then Saver.save)
"""

from __future__ import annotations

import torch
import torch.fx as fx

from torchmeta import errors
from torchmeta._proto import meta_graph_pb2
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Operation, Tensor
from torchmeta.framework.meta_graph import import_scoped_meta_graph
from torchmeta.io import saved_object_graph
from torchmeta.io.checkpoint import open_checkpoint
from torchmeta.ops.random_ops import op_generator
from torchmeta.runtime import lowering
from torchmeta.runtime.inline import CALL_OPS, IF_OPS, inline_function_calls, tensor_key
from torchmeta.runtime.program import LoopRunner
from torchmeta.runtime.session import Session, const_to_value

__all__ = ["to_module", "assign_from_module", "trainable_variable_ops"]

# Ops that change variable state cannot live in a module whose variables are Parameters.
_STATEFUL_UPDATES = {
    "Assign",
    "AssignAdd",
    "AssignSub",
    "AssignVariableOp",
    "AssignAddVariableOp",
    "AssignSubVariableOp",
    "ScatterAdd",
    "ScatterSub",
    "ScatterUpdate",
}


def _identity_read(resource):
    return resource


class _ModuleEnv:
    """How ``to_module`` sees sources: Parameters and buffers of the module itself."""

    deref_refs = False
    # In a module a resource handle *is* the Parameter, so reading it is the identity.
    kernels = {"ReadVariableOp": _identity_read}

    def __init__(self, values: dict, trainable: set):
        self._values = values
        self._trainable = trainable
        self.variable_names: dict[str, str] = {}  # module attribute -> TF variable name
        self._anchor_node = None

    def device(self, op):
        return None

    def source(self, op, root, names, graph):
        attr = names.make(op.name)
        if op.type == "Const":
            value = const_to_value(op._attrs["value"].tensor, None)
            if isinstance(value, torch.Tensor):
                root.register_buffer(attr, value.clone())
            else:
                setattr(root, attr, value)
        else:
            value = self._values[op.name]
            if op.name in self._trainable and value.is_floating_point():
                root.register_parameter(attr, torch.nn.Parameter(value.detach().clone()))
            else:
                root.register_buffer(attr, value.detach().clone())
            self.variable_names[attr] = op.name
        return graph.get_attr(attr), None

    def context(self, op, name, device, root, names, graph):
        if name == "device":
            # Follows the module across .to(device): read it from a buffer at run time.
            if self._anchor_node is None:
                root.register_buffer("_device_anchor", torch.empty(0))
                anchor = graph.get_attr("_device_anchor")
                self._anchor_node = graph.call_function(getattr, (anchor, "device"))
            return self._anchor_node
        if name == "node_name":
            return op.name
        if name == "generator":
            # The op's own random state, kept by the module: each forward draws TF's next numbers.
            attr = names.make(op.name + "_generator")
            setattr(root, attr, op_generator(op))
            return graph.get_attr(attr)
        if name == "state":
            return None
        if name == "functions":
            raise _control_flow_unsupported(op)
        raise KeyError(name)

    def loop(self, loop):
        # A TF1 while loop runs as in a Session: a Python loop over its cond and body, lowered in this
        # environment per input shapes. The variables it reads enter it as loop invariants (the module's
        # Parameters themselves), so autograd reaches them; the body's own constants are not the module's
        # buffers (``module.to(device)`` does not move them).
        return LoopRunner(loop, self)


def _control_flow_unsupported(what) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None,
        None,
        f"to_module: {what.type} '{what.name}': function calls inside the subgraph run in a Session, not in a "
        "module yet (their bodies are lowered lazily, per input shapes, outside the module's parameters and "
        "buffers).",
    )


def _element(graph, x, allow_operation=False):
    return graph.as_graph_element(x, allow_tensor=True, allow_operation=allow_operation)


def _variable_values(graph, var_ops, session, checkpoint, checkpoint_keys=None):
    """Initial values for the variable ops: from a session, a checkpoint (under the op's name, or for TF2 the
    object-graph key in ``checkpoint_keys``), or their initializers."""
    values = {}
    if checkpoint is not None:
        with open_checkpoint(checkpoint) as reader:
            for op in var_ops:
                key = op.name
                if not reader.has_tensor(key) and checkpoint_keys and op.name in checkpoint_keys:
                    key = checkpoint_keys[op.name]
                values[op.name] = torch.as_tensor(reader.get_tensor(key))
        return values
    own_session = session is None
    if own_session:
        session = Session(graph=graph)
        initializers = []
        for var in graph.get_collection(GraphKeys.GLOBAL_VARIABLES) + graph.get_collection(GraphKeys.LOCAL_VARIABLES):
            if var.op in var_ops:
                initializers.append(var.initializer)
        if initializers:
            session.run(initializers)
    try:
        for op in var_ops:
            slot = session._variable_slot(op.name if op.type != "VarHandleOp" else _shared_name(op))
            if slot is None or slot.value is None:
                raise errors.FailedPreconditionError(
                    None, op, f"Attempting to use uninitialized value {op.name} (to_module needs its value)"
                )
            values[op.name] = slot.value
    finally:
        if own_session:
            session.close()
    return values


def _shared_name(op: Operation) -> str:
    shared = op.get_attr("shared_name")
    return shared.decode() if shared else op.name


def to_module(
    graph_or_meta_graph, inputs=(), outputs=(), session=None, checkpoint=None, trainable=None
) -> fx.GraphModule:
    """The subgraph computing ``outputs`` from ``inputs`` as an ``fx.GraphModule``.

    Args:
      graph_or_meta_graph: a Graph, a MetaGraphDef, or the path of a ``.meta`` file.
      inputs: tensors (or names) that become ``forward``'s arguments, in order.
      outputs: tensors (or names) that ``forward`` returns (a tensor for one, a tuple for several).
      session: take variable values from this session (default: run the variables' initializers).
      checkpoint: or take them from this checkpoint prefix (safetensors or TF V2).
      trainable: the names of the variable ops that become Parameters (default: the TRAINABLE_VARIABLES
        collection, and for a TF2 SavedModel's MetaGraphDef the ``trainable`` flags of its object graph).

    Function calls (PartitionedCall/StatefulPartitionedCall: a TF2 SavedModel signature calling its traced
    tf.function) are inlined: the module runs their bodies, named ``<call>/<node>`` as TF inlines them. TF1
    while loops (``tf.while_loop``, ``dynamic_rnn``) run as Python loops over their cond and body, as in a
    Session; autograd differentiates through them.

    Returns:
      A GraphModule with one node per TF node. Trainable float variables are ``nn.Parameter``s,
      other variables and constants are buffers; ``module.tf_variable_names`` maps attribute names
      to TF variable names.

    Raises:
      UnsupportedOpError: if the subgraph uses ops without kernels.
      UnimplementedError: if the subgraph assigns to variables.
    """
    graph = _as_graph(graph_or_meta_graph)
    input_tensors = [_element(graph, x) for x in inputs]
    output_tensors = [_element(graph, x) for x in outputs]
    for t in input_tensors + output_tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"to_module inputs and outputs must be tensors, got {t!r}")
    ops = lowering.prune(output_tensors, [], input_tensors)
    if trainable is None:
        meta = graph_or_meta_graph if isinstance(graph_or_meta_graph, meta_graph_pb2.MetaGraphDef) else None
        trainable = trainable_variable_ops(graph, meta)
    checkpoint_keys = {}
    if isinstance(graph_or_meta_graph, meta_graph_pb2.MetaGraphDef):
        checkpoint_keys = saved_object_graph.variable_checkpoint_keys(graph_or_meta_graph)
    if any(op.type in CALL_OPS or op.type in IF_OPS for op in ops):
        flat, mapping = inline_function_calls(
            graph.as_graph_def(), [t.name for t in output_tensors], [t.name for t in input_tensors]
        )
        graph = flat
        input_tensors = [mapping[tensor_key(t.name)] for t in input_tensors]
        output_tensors = [mapping[tensor_key(t.name)] for t in output_tensors]
        ops = lowering.prune(output_tensors, [], input_tensors)
    updates = [
        op
        for op in ops
        if op.type in _STATEFUL_UPDATES
        or op.type.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "ResourceScatter"))
    ]
    if updates:
        names = ", ".join(f"{op.type} '{op.name}'" for op in updates[:5])
        raise errors.UnimplementedError(
            None,
            updates[0],
            f"to_module: the subgraph updates variables ({names}); a module's variables are Parameters updated "
            "by torch.optim, so fetch only the computation.",
        )
    var_ops = [op for op in ops if op.type in ("VariableV2", "VarHandleOp")]
    values = _variable_values(graph, var_ops, session, checkpoint, checkpoint_keys)
    env = _ModuleEnv(values, set(trainable))
    gm = lowering.lower(ops, output_tensors, input_tensors, env)
    if len(output_tensors) == 1:
        out_node = next(n for n in gm.graph.nodes if n.op == "output")
        out_node.args = (out_node.args[0][0],)
        gm.recompile()
    gm.tf_variable_names = dict(env.variable_names)
    gm.tf_inputs = [t.name for t in input_tensors]
    gm.tf_outputs = [t.name for t in output_tensors]
    return gm


def trainable_variable_ops(graph, meta_graph_def=None) -> set:
    """The names of the variable ops of ``graph``'s TRAINABLE_VARIABLES collection, and of those the object graph
    of ``meta_graph_def`` (a TF2 SavedModel's, which has no such collection) marks trainable."""
    trainable = {v.op.name for v in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)}
    trainable |= {
        getattr(v, "handle", v._variable).op.name for v in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
    }
    if meta_graph_def is not None:
        flags = saved_object_graph.variable_trainable_flags(meta_graph_def)
        trainable |= {name for name, is_trainable in flags.items() if is_trainable}
    return trainable


def _as_graph(graph_or_meta_graph) -> graph_lib.Graph:
    if isinstance(graph_or_meta_graph, graph_lib.Graph):
        return graph_or_meta_graph
    graph = graph_lib.Graph()
    import_scoped_meta_graph(graph_or_meta_graph, graph=graph)
    return graph


def assign_from_module(session: Session, module: fx.GraphModule) -> None:
    """Copies the module's (trained) variable values into ``session``'s variables.

    ``module`` may be wrapped in DistributedDataParallel (its ``.module`` is used) or sharded by FSDP's
    ``fully_shard``; then every rank of the job must call this, since each sharded parameter is gathered
    whole (``DTensor.full_tensor()``, a collective) before it is copied.
    """
    graph = session.graph
    while not hasattr(module, "tf_variable_names") and isinstance(getattr(module, "module", None), torch.nn.Module):
        module = module.module
    for attr, tf_name in module.tf_variable_names.items():
        value = getattr(module, attr)
        if hasattr(value, "full_tensor"):  # a DTensor: this rank's shard of an FSDP parameter
            value = value.full_tensor()
        value = value.detach()
        op = graph.get_operation_by_name(tf_name)
        key = tf_name if op.type != "VarHandleOp" else _shared_name(op)
        slot = session._variable_slot(key)
        if slot is None:
            slot = session._slot_for(op, session._op_device(op))
        slot.value = value.to(slot.device, copy=True).contiguous()
