"""Convolutional and recurrent workloads for bench/run.py: the same TF1 graph in TensorFlow and
torchmeta (``tf`` bound to either), and a hand-written PyTorch eager equivalent of each.

- ``cnn``: the mnist_deep-shaped CNN (conv 5x5x32 + max-pool, conv 5x5x64 + max-pool, dense 1024,
  dense 10; NHWC, batch 50, Adam 1e-4), as TF's tutorial builds it with tf.nn.conv2d + bias + relu.
- ``resnet``: a ResNet-style stack on 32x32x3 images (batch 32, Momentum 0.9): a stem conv 3x3x16,
  three residual blocks (conv-BN-relu, conv-BN, + identity, relu; the second and third downsample by
  stride 2 with a 1x1 projection), global average pool, dense 10. Batch norm is tf.layers'
  (FusedBatchNormV3, training mode, moving averages updated through UPDATE_OPS).
- ``mobilenet``: a MobileNet-style stack on 32x32x3 images (batch 32, Momentum 0.9): a stem conv 3x3x32 +
  BN + relu, then four depthwise-separable blocks (depthwise 3x3 (tf.nn.depthwise_conv2d, the second and
  fourth with stride 2) + BN + relu, pointwise 1x1 conv + BN + relu; 64, 128, 128, 256 channels), global
  average pool, dense 10.
- ``lstm_cls``: an LSTM classifier: tf.nn.static_rnn over a BasicLSTMCell (28 steps of 28 features,
  hidden 128, batch 64), dense 10 on the last output, Adam.

Not part of the test suite.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

# ---------------------------------------------------------------------------------------------
# Graph builders: plain TF1 code


def cnn_graph(tf, batch):
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def weight(shape):
        return tf.Variable(tf.truncated_normal(shape, stddev=0.1), name="weights")

    def bias(n):
        return tf.Variable(tf.constant(0.1, shape=[n]), name="biases")

    with tf.name_scope("conv1"):
        h = tf.nn.relu(tf.nn.conv2d(x, weight([5, 5, 1, 32]), [1, 1, 1, 1], "SAME") + bias(32))
    with tf.name_scope("pool1"):
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with tf.name_scope("conv2"):
        h = tf.nn.relu(tf.nn.conv2d(h, weight([5, 5, 32, 64]), [1, 1, 1, 1], "SAME") + bias(64))
    with tf.name_scope("pool2"):
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with tf.name_scope("fc1"):
        h = tf.reshape(h, [-1, 7 * 7 * 64])
        h = tf.nn.relu(tf.matmul(h, weight([7 * 7 * 64, 1024])) + bias(1024))
    with tf.name_scope("fc2"):
        logits = tf.matmul(h, weight([1024, 10])) + bias(10)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdamOptimizer(1e-4).minimize(loss)
    return x, labels, logits, train_op


RESNET_BLOCKS = ((16, 1), (32, 2), (64, 2))


def resnet_graph(tf, batch, training=True):
    x = tf.placeholder(tf.float32, [None, 32, 32, 3], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def conv(h, filters, kernel, stride, name):
        return tf.layers.conv2d(h, filters, kernel, stride, padding="same", use_bias=False, name=name)

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=training, fused=True, name=name)

    h = tf.nn.relu(bn(conv(x, 16, 3, 1, "stem"), "stem_bn"))
    for i, (filters, stride) in enumerate(RESNET_BLOCKS):
        with tf.variable_scope(f"block{i}"):
            shortcut = h
            if stride != 1 or shortcut.shape[-1] != filters:
                shortcut = bn(conv(h, filters, 1, stride, "proj"), "proj_bn")
            y = tf.nn.relu(bn(conv(h, filters, 3, stride, "conv1"), "bn1"))
            y = bn(conv(y, filters, 3, 1, "conv2"), "bn2")
            h = tf.nn.relu(y + shortcut)
    h = tf.reduce_mean(h, axis=[1, 2])
    logits = tf.layers.dense(h, 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    return x, labels, logits, train_op


MOBILENET_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2))


def mobilenet_graph(tf, batch, training=True):
    x = tf.placeholder(tf.float32, [None, 32, 32, 3], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=training, fused=True, name=name)

    h = tf.layers.conv2d(x, 32, 3, 1, padding="same", use_bias=False, name="stem")
    h = tf.nn.relu(bn(h, "stem_bn"))
    for i, (filters, stride) in enumerate(MOBILENET_BLOCKS):
        with tf.variable_scope(f"block{i}"):
            channels = h.shape[-1]
            depthwise = tf.get_variable("depthwise_kernel", [3, 3, channels, 1])
            h = tf.nn.depthwise_conv2d(h, depthwise, [1, stride, stride, 1], "SAME")
            h = tf.nn.relu(bn(h, "dw_bn"))
            h = tf.layers.conv2d(h, filters, 1, 1, use_bias=False, name="pointwise")
            h = tf.nn.relu(bn(h, "pw_bn"))
    h = tf.reduce_mean(h, axis=[1, 2])
    logits = tf.layers.dense(h, 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    return x, labels, logits, train_op


LSTM_STEPS, LSTM_FEATURES, LSTM_HIDDEN = 28, 28, 128


def lstm_classifier_graph(tf, batch):
    x = tf.placeholder(tf.float32, [None, LSTM_STEPS, LSTM_FEATURES], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    inputs = tf.unstack(x, LSTM_STEPS, 1)
    cell = tf.nn.rnn_cell.BasicLSTMCell(LSTM_HIDDEN)
    outputs, _ = tf.nn.static_rnn(cell, inputs, dtype=tf.float32)
    logits = tf.layers.dense(outputs[-1], 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return x, labels, logits, train_op


# ---------------------------------------------------------------------------------------------
# Hand-written PyTorch eager equivalents (NCHW, torch.nn modules, autograd, torch.optim)


class TorchCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = torch.nn.Linear(7 * 7 * 64, 1024)
        self.fc2 = torch.nn.Linear(1024, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.fc1(h.flatten(1)))
        return self.fc2(h)


class TorchBlock(torch.nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01)
        self.conv2 = torch.nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01)
        self.proj = None
        if stride != 1 or c_in != c_out:
            self.proj = torch.nn.Sequential(
                torch.nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                torch.nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01),
            )

    def forward(self, h):
        shortcut = h if self.proj is None else self.proj(h)
        y = F.relu(self.bn1(self.conv1(h)))
        return F.relu(self.bn2(self.conv2(y)) + shortcut)


class TorchResNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.stem_bn = torch.nn.BatchNorm2d(16, eps=1e-3, momentum=0.01)
        blocks, c_in = [], 16
        for filters, stride in RESNET_BLOCKS:
            blocks.append(TorchBlock(c_in, filters, stride))
            c_in = filters
        self.blocks = torch.nn.Sequential(*blocks)
        self.fc = torch.nn.Linear(64, 10)

    def forward(self, x):
        h = self.blocks(F.relu(self.stem_bn(self.stem(x))))
        return self.fc(h.mean((2, 3)))


def _conv_bn_relu(c_in, c_out, kernel, stride, groups=1):
    return [
        torch.nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
        torch.nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01),
        torch.nn.ReLU(),
    ]


class TorchMobileNet(torch.nn.Module):
    """The depthwise-separable stack (PyTorch pads a stride-2 3x3 window symmetrically where TF's SAME pads
    only after: the same cost)."""

    def __init__(self):
        super().__init__()
        layers, c_in = _conv_bn_relu(3, 32, 3, 1), 32
        for filters, stride in MOBILENET_BLOCKS:
            layers += _conv_bn_relu(c_in, c_in, 3, stride, groups=c_in) + _conv_bn_relu(c_in, filters, 1, 1)
            c_in = filters
        self.features = torch.nn.Sequential(*layers)
        self.fc = torch.nn.Linear(c_in, 10)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


class TorchLSTMClassifier(torch.nn.Module):
    """TF's BasicLSTMCell written out: one matmul of [x, h], gates i, j, f, o, forget bias 1."""

    def __init__(self):
        super().__init__()
        self.kernel = torch.nn.Parameter(torch.randn(LSTM_FEATURES + LSTM_HIDDEN, 4 * LSTM_HIDDEN) * 0.05)
        self.bias = torch.nn.Parameter(torch.zeros(4 * LSTM_HIDDEN))
        self.fc = torch.nn.Linear(LSTM_HIDDEN, 10)

    def forward(self, x):
        n = x.shape[0]
        h = x.new_zeros(n, LSTM_HIDDEN)
        c = x.new_zeros(n, LSTM_HIDDEN)
        for t in range(LSTM_STEPS):
            gates = torch.addmm(self.bias, torch.cat([x[:, t], h], 1), self.kernel)
            i, j, f, o = gates.chunk(4, 1)
            c = c * torch.sigmoid(f + 1.0) + torch.sigmoid(i) * torch.tanh(j)
            h = torch.tanh(c) * torch.sigmoid(o)
        return self.fc(h)


def torch_model(kind):
    return {"cnn": TorchCNN, "resnet": TorchResNet, "mobilenet": TorchMobileNet, "lstm_cls": TorchLSTMClassifier}[
        kind
    ]()


def torch_optimizer(kind, params):
    if kind in ("resnet", "mobilenet"):
        return torch.optim.SGD(params, lr=0.01, momentum=0.9)
    return torch.optim.Adam(params, lr=1e-4 if kind == "cnn" else 1e-3, eps=1e-8)


def to_torch_layout(kind, x):
    """The PyTorch models take NCHW images (the layout they are written for); the LSTM takes [N, T, F]."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x


GRAPHS = {"cnn": cnn_graph, "resnet": resnet_graph, "mobilenet": mobilenet_graph, "lstm_cls": lstm_classifier_graph}
SHAPES = {
    "cnn": (50, (28, 28, 1)),
    "resnet": (32, (32, 32, 3)),
    "mobilenet": (32, (32, 32, 3)),
    "lstm_cls": (64, (LSTM_STEPS, LSTM_FEATURES)),
}
