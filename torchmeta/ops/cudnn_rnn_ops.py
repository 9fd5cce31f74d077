"""cuDNN's RNNs on any device: CudnnRNN, CudnnRNNV2, CudnnRNNV3 (what frozen graphs of Keras' CuDNNLSTM/CuDNNGRU and
of tf.keras LSTM/GRU's GPU path contain), their backprop ops, cudnn_rnn_grad.py's gradients, CudnnRNNParamsSize and
the conversions between the params buffer and its canonical weights and biases (CudnnRNNParamsToCanonical(V2),
CudnnRNNCanonicalToParams(V2)).

TensorFlow runs these only on a GPU, through cuDNN; here they are a plain LSTM / GRU / tanh or relu RNN in torch,
reading ``params`` in cuDNN's canonical layout as TF's CudnnParamsFormatConverter and Keras write it: every
layer's and direction's weight matrices first (per gate, the input matrix W [units, input] then the recurrent one
R [units, units], row-major; gates i, f, c, o for LSTM and r, z, n for GRU), then all biases in the same order
(b_W, then b_R); TF's ParamsToCanonical hands the matrices out as [units, width] and the biases as [units]. The
equations are cuDNN's: LSTM without a forget bias, GRU with the reset gate applied after the
recurrent product (n = tanh(W_n x + b_Wn + r * (R_n h + b_Rn))). Not supported (UnimplementedError): skip_input,
dropout between layers while training, LSTM projections (num_proj). The backprop ops differentiate this forward.
"""

from __future__ import annotations

import math

import torch

from torchmeta.framework.common_shapes import with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, unimplemented

_T = "T: {bfloat16, half, float, double}"
_MODE = "rnn_mode: {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'} = \"lstm\""
_INPUT_MODE = "input_mode: {'linear_input', 'skip_input', 'auto_select'} = \"linear_input\""
_DIRECTION = "direction: {'unidirectional', 'bidirectional'} = \"unidirectional\""
_COMMON = [_T, _MODE, _INPUT_MODE, _DIRECTION, "dropout: float = 0.0", "seed: int = 0", "seed2: int = 0"]
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _split_params(params, rnn_mode, num_layers, num_dirs, input_size, units):
    """The canonical (W, R, b_W, b_R) of every (layer, direction), gates stacked: W [gates*units, in]."""
    gates = _GATES[rnn_mode]
    shapes = []
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else units * num_dirs
        shapes += [(layer_input, units)] * num_dirs
    weights_size = sum(gates * units * (n_in + units) for n_in, _ in shapes)
    expected = weights_size + len(shapes) * 2 * gates * units
    if params.numel() != expected:
        raise invalid(f"Invalid params size: expected {expected} elements, got {params.numel()}")
    flat = params.reshape(-1)
    at, out = 0, []
    for n_in, _ in shapes:
        w_parts, r_parts = [], []
        for _ in range(gates):
            w_parts.append(flat[at : at + units * n_in].reshape(units, n_in))
            at += units * n_in
        for _ in range(gates):
            r_parts.append(flat[at : at + units * units].reshape(units, units))
            at += units * units
        out.append([torch.cat(w_parts), torch.cat(r_parts)])
    for entry in out:
        entry.append(flat[at : at + gates * units])
        at += gates * units
        entry.append(flat[at : at + gates * units])
        at += gates * units
    return out


def _step(rnn_mode, x_proj, h, c, r_mat, b_r):
    """One time step given x's projection W x + b_W (all gates)."""
    h_proj = h @ r_mat.T + b_r
    if rnn_mode == "lstm":
        i, f, g, o = (x_proj + h_proj).chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if rnn_mode == "gru":
        xr, xz, xn = x_proj.chunk(3, -1)
        hr, hz, hn = h_proj.chunk(3, -1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    act = torch.tanh if rnn_mode == "rnn_tanh" else torch.relu
    return act(x_proj + h_proj), c


def _run_direction(rnn_mode, x, h, c, weights, lengths, reverse):
    """One direction of one layer over time-major ``x`` [time, batch, in]; sequences end at ``lengths``
    (steps after a sequence's end leave its state alone and output zeros; the backward direction starts at each
    sequence's last step)."""
    w, r_mat, b_w, b_r = weights
    x_proj = x @ w.T + b_w
    time = x.shape[0]
    outputs = [None] * time
    steps = range(time - 1, -1, -1) if reverse else range(time)
    for t in steps:
        new_h, new_c = _step(rnn_mode, x_proj[t], h, c, r_mat, b_r)
        if lengths is None:
            h, c = new_h, new_c
            outputs[t] = h
        else:
            live = (t < lengths).unsqueeze(-1)
            h = torch.where(live, new_h, h)
            c = torch.where(live, new_c, c) if c is not None else None
            outputs[t] = torch.where(live, new_h, torch.zeros_like(new_h))
    if not time:
        return torch.zeros((0, *h.shape), dtype=x.dtype), h, c
    return torch.stack(outputs), h, c


def _forward(input, input_h, input_c, params, rnn_mode, input_mode, direction, dropout, is_training, lengths=None):
    """(output [time, batch, dirs*units], output_h, output_c) of the whole stack."""
    num_dirs = 2 if direction == "bidirectional" else 1
    if input.dim() != 3:
        raise invalid(f"Invalid input_shape: [{','.join(map(str, input.shape))}]")
    if input_h.dim() != 3:
        raise invalid(f"Invalid input_h shape: [{','.join(map(str, input_h.shape))}]")
    num_layers = input_h.shape[0] // num_dirs
    units = input_h.shape[2]
    # TF's ToRNNInputMode: auto_select is skip_input when the input is as wide as the cell
    if input_mode == "skip_input" or (input_mode == "auto_select" and input.shape[2] == units):
        raise unimplemented("CudnnRNN input_mode 'skip_input' is not supported off cuDNN by torchmeta")
    if is_training and dropout > 0 and num_layers > 1:
        raise unimplemented("CudnnRNN dropout between layers while training is cuDNN's random stream; not reproduced")
    lstm = rnn_mode == "lstm"
    if lstm and tuple(input_c.shape) != tuple(input_h.shape):
        raise invalid(
            f"input_h and input_c must have the same shape: [{','.join(map(str, input_h.shape))}] "
            f"[{','.join(map(str, input_c.shape))}]"
        )
    layers = _split_params(params, rnn_mode, num_layers, num_dirs, input.shape[2], units)
    x, final_h, final_c = input, [], []
    for layer in range(num_layers):
        outs = []
        for d in range(num_dirs):
            k = layer * num_dirs + d
            c0 = input_c[k] if lstm else None
            out, h, c = _run_direction(rnn_mode, x, input_h[k], c0, layers[k], lengths, reverse=d == 1)
            outs.append(out)
            final_h.append(h)
            final_c.append(c)
        x = torch.cat(outs, -1)
    output_c = torch.stack(final_c) if lstm else torch.zeros((), dtype=input.dtype)
    return x, torch.stack(final_h), output_c


def _rnn_shape(op, time_major=True):
    input_shape = with_rank(op, op.inputs[0].shape, 3)
    input_h = with_rank(op, op.inputs[1].shape, 3)
    with_rank(op, op.inputs[2].shape, 3)
    with_rank(op, op.inputs[3].shape, 1)
    dims = input_shape.as_tuple() if input_shape.rank is not None else (None, None, None)
    seq, batch = (dims[0], dims[1]) if time_major else (dims[1], dims[0])
    units = input_h.as_tuple()[2] if input_h.rank is not None else None
    dirs = 2 if op.get_attr("direction") == b"bidirectional" else 1
    out_size = None if units is None else units * dirs
    output = TensorShape([seq, batch, out_size] if time_major else [batch, seq, out_size])
    output_c = op.inputs[1].shape if op.get_attr("rnn_mode") == b"lstm" else TensorShape([])
    return [output, op.inputs[1].shape, output_c, TensorShape(None)]


def _reserve(input):
    return torch.zeros((0,), dtype=input.dtype)


@register_op(
    "CudnnRNN",
    inputs=["input: T", "input_h: T", "input_c: T", "params: T"],
    outputs=["output: T", "output_h: T", "output_c: T", "reserve_space: T"],
    attrs=[*_COMMON, "is_training: bool = true"],
    shape=_rnn_shape,
    stateful=True,
)
def cudnn_rnn(input, input_h, input_c, params, rnn_mode, input_mode, direction, dropout, is_training):
    output, output_h, output_c = _forward(input, input_h, input_c, params, rnn_mode, input_mode, direction, dropout,
                                          is_training)  # fmt: skip
    return output, output_h, output_c, _reserve(input)


@register_op(
    "CudnnRNNV2",
    inputs=["input: T", "input_h: T", "input_c: T", "params: T"],
    outputs=["output: T", "output_h: T", "output_c: T", "reserve_space: T", "host_reserved: int8"],
    attrs=[*_COMMON, "is_training: bool = true"],
    shape=lambda op: [*_rnn_shape(op), TensorShape(None)],
    stateful=True,
)
def cudnn_rnn_v2(input, input_h, input_c, params, rnn_mode, input_mode, direction, dropout, is_training):
    output, output_h, output_c = _forward(input, input_h, input_c, params, rnn_mode, input_mode, direction, dropout,
                                          is_training)  # fmt: skip
    return output, output_h, output_c, _reserve(input), torch.zeros((0,), dtype=torch.int8)


def _forward_v3(input, input_h, input_c, params, sequence_lengths, rnn_mode, input_mode, direction, dropout,
                is_training, num_proj, time_major):  # fmt: skip
    if num_proj:
        raise unimplemented("CudnnRNNV3 with num_proj (LSTM projections) is not supported by torchmeta")
    x = input if time_major else input.transpose(0, 1)
    lengths = sequence_lengths.to(torch.int64)
    output, output_h, output_c = _forward(x, input_h, input_c, params, rnn_mode, input_mode, direction, dropout,
                                          is_training, lengths)  # fmt: skip
    return (output if time_major else output.transpose(0, 1)), output_h, output_c


@register_op(
    "CudnnRNNV3",
    inputs=["input: T", "input_h: T", "input_c: T", "params: T", "sequence_lengths: int32"],
    outputs=["output: T", "output_h: T", "output_c: T", "reserve_space: T", "host_reserved: int8"],
    attrs=[*_COMMON, "num_proj: int = 0", "is_training: bool = true", "time_major: bool = true"],
    shape=lambda op: [*_rnn_shape(op, op.get_attr("time_major")), TensorShape(None)],
    stateful=True,
)
def cudnn_rnn_v3(input, input_h, input_c, params, sequence_lengths, rnn_mode, input_mode, direction, dropout,
                 num_proj, is_training, time_major):  # fmt: skip
    output, output_h, output_c = _forward_v3(input, input_h, input_c, params, sequence_lengths, rnn_mode,
                                             input_mode, direction, dropout, is_training, num_proj, time_major)  # fmt: skip
    return output, output_h, output_c, _reserve(input), torch.zeros((0,), dtype=torch.int8)


def _backprop(forward, inputs, output_backprop, output_h_backprop, output_c_backprop, lstm):
    """Vector-Jacobian products of ``forward`` (a function of input, input_h, input_c, params)."""
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(True) for t in inputs]
        outputs = forward(*leaves)
        pairs = [(outputs[0], output_backprop), (outputs[1], output_h_backprop)]
        if lstm:
            pairs.append((outputs[2], output_c_backprop))
        grads = torch.autograd.grad([o for o, _ in pairs], leaves, [g for _, g in pairs], allow_unused=True)
    return tuple(torch.zeros_like(t) if g is None else g for t, g in zip(inputs, grads))


_BACKPROP_INPUTS = ["output: T", "output_h: T", "output_c: T", "output_backprop: T", "output_h_backprop: T"]
_BACKPROP_INPUTS += ["output_c_backprop: T", "reserve_space: T"]
_BACKPROP_OUTPUTS = ["input_backprop: T", "input_h_backprop: T", "input_c_backprop: T", "params_backprop: T"]


def _backprop_shape(op):
    return [op.inputs[i].shape for i in range(4)]


@register_op(
    "CudnnRNNBackprop",
    inputs=["input: T", "input_h: T", "input_c: T", "params: T", *_BACKPROP_INPUTS],
    outputs=_BACKPROP_OUTPUTS,
    attrs=_COMMON,
    shape=_backprop_shape,
    stateful=True,
)
def cudnn_rnn_backprop(input, input_h, input_c, params, output, output_h, output_c, output_backprop,
                       output_h_backprop, output_c_backprop, reserve_space, rnn_mode, input_mode, direction, dropout):  # fmt: skip
    def forward(*xs):
        return _forward(*xs, rnn_mode, input_mode, direction, dropout, True)

    return _backprop(forward, (input, input_h, input_c, params), output_backprop, output_h_backprop,
                     output_c_backprop, rnn_mode == "lstm")  # fmt: skip


@register_op(
    "CudnnRNNBackpropV2",
    inputs=["input: T", "input_h: T", "input_c: T", "params: T", *_BACKPROP_INPUTS, "host_reserved: int8"],
    outputs=_BACKPROP_OUTPUTS,
    attrs=_COMMON,
    shape=_backprop_shape,
    stateful=True,
)
def cudnn_rnn_backprop_v2(input, input_h, input_c, params, output, output_h, output_c, output_backprop,
                          output_h_backprop, output_c_backprop, reserve_space, host_reserved, rnn_mode, input_mode,
                          direction, dropout):  # fmt: skip
    def forward(*xs):
        return _forward(*xs, rnn_mode, input_mode, direction, dropout, True)

    return _backprop(forward, (input, input_h, input_c, params), output_backprop, output_h_backprop,
                     output_c_backprop, rnn_mode == "lstm")  # fmt: skip


@register_op(
    "CudnnRNNBackpropV3",
    inputs=[
        "input: T",
        "input_h: T",
        "input_c: T",
        "params: T",
        "sequence_lengths: int32",
        *_BACKPROP_INPUTS,
        "host_reserved: int8",
    ],
    outputs=_BACKPROP_OUTPUTS,
    attrs=[*_COMMON, "num_proj: int = 0", "time_major: bool = true"],
    shape=_backprop_shape,
    stateful=True,
)
def cudnn_rnn_backprop_v3(input, input_h, input_c, params, sequence_lengths, output, output_h, output_c,
                          output_backprop, output_h_backprop, output_c_backprop, reserve_space, host_reserved,
                          rnn_mode, input_mode, direction, dropout, num_proj, time_major):  # fmt: skip
    def forward(x, h, c, p):
        return _forward_v3(x, h, c, p, sequence_lengths, rnn_mode, input_mode, direction, dropout, True, num_proj,
                           time_major)  # fmt: skip

    return _backprop(forward, (input, input_h, input_c, params), output_backprop, output_h_backprop,
                     output_c_backprop, rnn_mode == "lstm")  # fmt: skip


def _attrs(op, names):
    return {name: op.get_attr(name) for name in names}


_GRAD_ATTRS = ("dropout", "seed", "seed2", "rnn_mode", "input_mode", "direction")


def _check_training(op):
    if not op.get_attr("is_training"):
        raise ValueError(f"To use {op.type} in gradients, is_training must be set to True.")


@register_gradient("CudnnRNN")
def _cudnn_rnn_grad(op, *grads):
    _check_training(op)
    return raw_op(
        "CudnnRNNBackprop", input=op.inputs[0], input_h=op.inputs[1], input_c=op.inputs[2], params=op.inputs[3],
        output=op.outputs[0], output_h=op.outputs[1], output_c=op.outputs[2], output_backprop=grads[0],
        output_h_backprop=grads[1], output_c_backprop=grads[2], reserve_space=op.outputs[3],
        **_attrs(op, _GRAD_ATTRS),
    )  # fmt: skip


@register_gradient("CudnnRNNV2")
def _cudnn_rnn_v2_grad(op, *grads):
    _check_training(op)
    return raw_op(
        "CudnnRNNBackpropV2", input=op.inputs[0], input_h=op.inputs[1], input_c=op.inputs[2], params=op.inputs[3],
        output=op.outputs[0], output_h=op.outputs[1], output_c=op.outputs[2], output_backprop=grads[0],
        output_h_backprop=grads[1], output_c_backprop=grads[2], reserve_space=op.outputs[3],
        host_reserved=op.outputs[4], **_attrs(op, _GRAD_ATTRS),
    )  # fmt: skip


@register_gradient("CudnnRNNV3")
def _cudnn_rnn_v3_grad(op, *grads):
    _check_training(op)
    return [*raw_op(
        "CudnnRNNBackpropV3", input=op.inputs[0], input_h=op.inputs[1], input_c=op.inputs[2], params=op.inputs[3],
        sequence_lengths=op.inputs[4], output=op.outputs[0], output_h=op.outputs[1], output_c=op.outputs[2],
        output_backprop=grads[0], output_h_backprop=grads[1], output_c_backprop=grads[2],
        reserve_space=op.outputs[3], host_reserved=op.outputs[4],
        **_attrs(op, ("dropout", "seed", "seed2", "time_major", "num_proj", "rnn_mode", "input_mode", "direction")),
    ), None]  # fmt: skip


no_registered_gradient("CudnnRNNBackprop", "CudnnRNNBackpropV2", "CudnnRNNBackpropV3")


# ---------------------------------------------------------------------------------------------
# The opaque params buffer: its size and its conversion from and to the canonical weights and biases


def _scalar_input(t, name: str) -> int:
    if t.dim() != 0:
        raise invalid(f"{name} is not a scalar")
    return int(t)


def _canonical_shapes(num_layers, num_units, input_size, rnn_mode, input_mode, direction, num_proj):
    """The shape of every canonical weight ([units, width], per layer and direction: the gates' input matrices,
    then their recurrent ones) and bias ([units]), in the order TF's ParamsWeightRegions/ParamsBiasRegions list
    them; the params buffer holds them flattened in that order, weights first."""
    num_layers = _scalar_input(num_layers, "num_layers")
    units = _scalar_input(num_units, "num_units")
    input_size = _scalar_input(input_size, "input_size")
    if num_proj:
        raise unimplemented("cuDNN RNN params with num_proj (LSTM projections) are not supported by torchmeta")
    # TF's ToRNNInputMode: auto_select skips the input projection when the input is as wide as the cell
    if input_mode == "skip_input" or (input_mode == "auto_select" and input_size == units):
        raise unimplemented("cuDNN RNN params with input_mode 'skip_input' are not supported by torchmeta")
    gates = _GATES[rnn_mode]
    num_dirs = 2 if direction == "bidirectional" else 1
    weights = []
    for layer in range(num_layers):
        width = input_size if layer == 0 else num_dirs * units
        for _ in range(num_dirs):
            weights += [(units, width)] * gates + [(units, units)] * gates
    biases = [(units,)] * (2 * gates * num_layers * num_dirs)
    return weights, biases


def _num_elements(shapes) -> int:
    return sum(math.prod(s) for s in shapes)


def _params_size_shape(op):
    for i in range(3):
        with_rank(op, op.inputs[i].shape, 0)
    return [TensorShape([1])]


@register_op(
    "CudnnRNNParamsSize",
    inputs=["num_layers: int32", "num_units: int32", "input_size: int32"],
    outputs=["params_size: S"],
    attrs=[_T, "S: {int32, int64}", *_COMMON[1:], "num_proj: int = 0"],
    shape=_params_size_shape,
)
def cudnn_rnn_params_size(num_layers, num_units, input_size, S, rnn_mode, input_mode, direction, num_proj):
    """The number of elements of the params buffer (a [1] vector, as TF's kernel outputs it)."""
    weights, biases = _canonical_shapes(num_layers, num_units, input_size, rnn_mode, input_mode, direction, num_proj)
    return torch.tensor([_num_elements(weights) + _num_elements(biases)], dtype=S.torch)


def _to_canonical_shape(op, num_weights, num_biases):
    with_rank(op, op.inputs[3].shape, 1)
    return [TensorShape([None, None])] * num_weights + [TensorShape([None])] * num_biases


def _params_to_canonical(num_layers, num_units, input_size, params, num_weights, num_biases, rnn_mode, input_mode,
                         direction, num_proj):  # fmt: skip
    weights, biases = _canonical_shapes(num_layers, num_units, input_size, rnn_mode, input_mode, direction, num_proj)
    regions = int(num_layers) * (2 if direction == "bidirectional" else 1)
    if num_weights % regions:
        raise invalid("Number of params (weights) is not a multipleof num_layers * num_dirs.")
    if num_biases % regions:
        raise invalid("Number of params (biases) is not a multipleof num_layers * num_dirs.")
    if (num_weights // regions) % 2:
        raise invalid("Number of params (weights) per layer is notan even number with no projection.")
    if num_weights != len(weights):
        raise invalid(f"C Number of params mismatch. Expected {num_weights}, got {len(weights)}")
    size = _num_elements(weights) + _num_elements(biases)
    if params.numel() != size:
        # TF copies regions out of the buffer without checking its size (cuDNN sized it); a wrong size here is
        # refused rather than read past
        raise invalid(f"Invalid params size: expected {size} elements, got {params.numel()}")
    if num_biases != len(biases):
        raise invalid(f"A Number of params mismatch. Expected {num_biases}, got {len(biases)}")
    flat, at, out = params.reshape(-1), 0, []
    for shape in [*weights, *biases]:
        n = math.prod(shape)
        out.append(flat[at : at + n].reshape(shape).clone())
        at += n
    return tuple(out)


@register_op(
    "CudnnRNNParamsToCanonical",
    inputs=["num_layers: int32", "num_units: int32", "input_size: int32", "params: T"],
    outputs=["weights: num_params * T", "biases: num_params * T"],
    attrs=[_T, "num_params: int >= 1", *_COMMON[1:]],
    shape=lambda op: _to_canonical_shape(op, op.get_attr("num_params"), op.get_attr("num_params")),
)
def cudnn_rnn_params_to_canonical(num_layers, num_units, input_size, params, num_params, rnn_mode, input_mode,
                                  direction):  # fmt: skip
    """The params buffer as its weight matrices [units, width] and bias vectors [units] (``_canonical_shapes``)."""
    return _params_to_canonical(num_layers, num_units, input_size, params, num_params, num_params, rnn_mode,
                                input_mode, direction, 0)  # fmt: skip


@register_op(
    "CudnnRNNParamsToCanonicalV2",
    inputs=["num_layers: int32", "num_units: int32", "input_size: int32", "params: T"],
    outputs=["weights: num_params_weights * T", "biases: num_params_biases * T"],
    attrs=[_T, "num_params_weights: int >= 1", "num_params_biases: int >= 1", *_COMMON[1:], "num_proj: int = 0"],
    shape=lambda op: _to_canonical_shape(op, op.get_attr("num_params_weights"), op.get_attr("num_params_biases")),
)
def cudnn_rnn_params_to_canonical_v2(num_layers, num_units, input_size, params, num_params_weights,
                                     num_params_biases, rnn_mode, input_mode, direction, num_proj):  # fmt: skip
    return _params_to_canonical(num_layers, num_units, input_size, params, num_params_weights, num_params_biases,
                                rnn_mode, input_mode, direction, num_proj)  # fmt: skip


def _canonical_to_params(num_layers, num_units, input_size, weights, biases, rnn_mode, input_mode, direction,
                         num_proj):  # fmt: skip
    """TF's RestoreParams: each given tensor fills its region of the buffer (any shape with the region's size)."""
    weight_shapes, bias_shapes = _canonical_shapes(num_layers, num_units, input_size, rnn_mode, input_mode,
                                                   direction, num_proj)  # fmt: skip
    for given, shapes in ((weights, weight_shapes), (biases, bias_shapes)):
        if len(given) != len(shapes):
            raise invalid(f"Number of params mismatch. Expected {len(given)}, got {len(shapes)}")
        for t, shape in zip(given, shapes):
            if t.numel() != math.prod(shape):
                raise invalid(f"Params size mismatch. Expected {math.prod(shape)}, got {t.numel()}")
    return torch.cat([t.reshape(-1) for t in [*weights, *biases]])


_TO_PARAMS_INPUTS = ["num_layers: int32", "num_units: int32", "input_size: int32"]


@register_op(
    "CudnnRNNCanonicalToParams",
    inputs=[*_TO_PARAMS_INPUTS, "weights: num_params * T", "biases: num_params * T"],
    outputs=["params: T"],
    attrs=[_T, "num_params: int >= 1", *_COMMON[1:]],
    shape=lambda op: [TensorShape([None])],
)
def cudnn_rnn_canonical_to_params(num_layers, num_units, input_size, weights, biases, rnn_mode, input_mode,
                                  direction):  # fmt: skip
    """The params buffer: the weights flattened in order, then the biases (``_canonical_shapes``)."""
    return _canonical_to_params(num_layers, num_units, input_size, weights, biases, rnn_mode, input_mode,
                                direction, 0)  # fmt: skip


@register_op(
    "CudnnRNNCanonicalToParamsV2",
    inputs=[*_TO_PARAMS_INPUTS, "weights: num_params_weights * T", "biases: num_params_biases * T"],
    outputs=["params: T"],
    attrs=[_T, "num_params_weights: int >= 1", "num_params_biases: int >= 1", *_COMMON[1:], "num_proj: int = 0"],
    shape=lambda op: [TensorShape([None])],
)
def cudnn_rnn_canonical_to_params_v2(num_layers, num_units, input_size, weights, biases, rnn_mode, input_mode,
                                     direction, num_proj):  # fmt: skip
    return _canonical_to_params(num_layers, num_units, input_size, weights, biases, rnn_mode, input_mode,
                                direction, num_proj)  # fmt: skip


no_registered_gradient(
    "CudnnRNNParamsSize",
    "CudnnRNNParamsToCanonical",
    "CudnnRNNParamsToCanonicalV2",
    "CudnnRNNCanonicalToParams",
    "CudnnRNNCanonicalToParamsV2",
)
