"""Neural style transfer (Gatys et al.) in TF1, as the TF1 tutorials and the popular neural-style scripts wrote it,
with a tiny random "VGG".

    python examples/style_transfer.py [--iterations 30] [--data_dir /tmp/style_transfer] [--init noise|content]
        [--pooling avg|max] [--style_luminance]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The program first
writes a synthetic content and style image as PNGs (``tf.image.encode_png``, ``tf.gfile``), then reads them
back the tutorials' way (``tf.read_file``, ``tf.image.decode_png`` / ``decode_image``,
``tf.image.convert_image_dtype``), resizing the style image to the content's size with
``tf.image.resize_images`` (and a second, ``tf.image.resize_bilinear``'ed copy with ``align_corners``), with
``--style_luminance`` keeping only its luminance (``tf.image.rgb_to_grayscale``, ``grayscale_to_rgb``). The
network is a VGG-shaped stack of ``tf.nn.conv2d`` + ``tf.nn.bias_add`` + ``tf.nn.relu`` with average or max
pooling, its weights ``tf.constant``s made by a seeded numpy generator in the layout a ``.mat`` file stores them
(width and height swapped). The content features are computed once in their own graph and session; the image is
a ``tf.Variable`` (the content or seeded noise); the loss is a content loss (``tf.nn.l2_loss``) on one layer,
style losses from Gram matrices (``tf.reshape`` to ``[-1, channels]``, ``tf.matmul(f, f, transpose_a=True)`` /
size) on several, and ``tf.image.total_variation``, minimized by ``tf.train.AdamOptimizer(...).minimize(loss,
var_list=[image])``; after each step the image is clipped to the valid pixel range by
``tf.assign(image, tf.clip_by_value(...))``. The result is written as PNG twice: rounded and ``tf.cast`` to uint8
(through ``tf.gfile.GFile``) and through ``tf.image.convert_image_dtype(..., saturate=True)`` (through
``tf.io.write_file``).

Started from the content image, whose uint8 pixels make many neighbours equal, the run is chaotic in float32
rounding: total variation's gradient is the sign of each difference (zero at a tie), Adam's first steps move
every pixel by about the learning rate whatever its gradient's size, so a difference of one rounding in a
gradient turns ties into steps of 2.0. TensorFlow itself, oneDNN's kernels against Eigen's, prints content losses
0.3% apart by the third step. From seeded noise (the default) every loss is reproducible to float32 rounding.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("iterations", 30, "Optimization steps.")
flags.DEFINE_integer("size", 24, "Content image height and width.")
flags.DEFINE_string("init", "noise", "The initial image: noise or content.")
flags.DEFINE_string("pooling", "avg", "avg or max.")
flags.DEFINE_boolean("style_luminance", False, "Transfer the style image's luminance only (its grey, as RGB).")
flags.DEFINE_float("content_weight", 5.0, "Content loss weight.")
flags.DEFINE_float("style_weight", 0.02, "Style loss weight.")
flags.DEFINE_float("tv_weight", 0.05, "Total variation weight.")
flags.DEFINE_float("learning_rate", 2.0, "Adam's learning rate (in pixel units).")
flags.DEFINE_integer("seed", 1, "Seed of the weights, the images and the noise.")
flags.DEFINE_string("data_dir", "/tmp/style_transfer", "Where the images go.")
FLAGS = flags.FLAGS

VGG_LAYERS = (
    "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
    "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
    "conv3_1", "relu3_1",
)  # fmt: skip
CHANNELS = {"1": 8, "2": 12, "3": 16}
MEAN_PIXEL = np.array([123.68, 116.779, 103.939], np.float32)
CONTENT_LAYER = "relu2_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1")


def load_weights(seed):
    """What scipy.io.loadmat would give for a tiny VGG: per conv layer, kernels as [width, height, in, out]."""
    rng = np.random.RandomState(seed)
    weights, depth = {}, 3
    for name in VGG_LAYERS:
        if name.startswith("conv"):
            out = CHANNELS[name[4]]
            kernels = rng.normal(0.0, np.sqrt(2.0 / (9 * depth)), (3, 3, depth, out)).astype(np.float32)
            bias = rng.normal(0.0, 0.05, (1, out)).astype(np.float32)
            weights[name] = (kernels, bias)
            depth = out
    return weights


def net_preloaded(weights, input_image, pooling):
    """neural-style's vgg.net_preloaded: the .mat kernels transposed to TF's [height, width, in, out]."""
    net, current = {}, input_image
    for name in VGG_LAYERS:
        kind = name[:4]
        if kind == "conv":
            kernels, bias = weights[name]
            kernels = np.transpose(kernels, (1, 0, 2, 3))
            bias = bias.reshape(-1)
            conv = tf.nn.conv2d(current, tf.constant(kernels), strides=(1, 1, 1, 1), padding="SAME")
            current = tf.nn.bias_add(conv, bias)
        elif kind == "relu":
            current = tf.nn.relu(current)
        elif pooling == "avg":
            current = tf.nn.avg_pool(current, ksize=(1, 2, 2, 1), strides=(1, 2, 2, 1), padding="SAME")
        else:
            current = tf.nn.max_pool(current, ksize=(1, 2, 2, 1), strides=(1, 2, 2, 1), padding="SAME")
        net[name] = current
    return net


def gram_matrix(features):
    """A layer's channels' correlations: [-1, channels] features times themselves, over the layer's size."""
    _, height, width, number = (d.value for d in features.get_shape())
    feats = tf.reshape(features, (-1, number))
    return tf.matmul(feats, feats, transpose_a=True) / (height * width * number)


def write_inputs(size):
    """A content image (a lit disc on a gradient) and a larger style image (diagonal stripes) as PNG files."""
    rng = np.random.RandomState(FLAGS.seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    disc = ((x - 0.5) ** 2 + (y - 0.45) ** 2 < 0.09).astype(np.float32)
    content = np.stack([200 * disc + 40 * x, 120 * y + 60 * disc, 180 * (1 - disc) * x], -1)
    content += rng.uniform(0, 8, content.shape)
    big = int(size * 1.5)
    sy, sx = np.mgrid[0:big, 0:big].astype(np.float32)
    stripes = (np.sin((sx + sy) / 2.0) > 0).astype(np.float32)
    style = np.stack([230 * stripes, 90 + 100 * (1 - stripes), 60 * stripes + 20 * sx / big], -1)
    paths = {}
    with tf.Graph().as_default(), tf.Session() as sess:
        for name, pixels in (("content", content), ("style", style)):
            png = tf.image.encode_png(tf.constant(np.clip(pixels, 0, 255).astype(np.uint8)))
            paths[name] = os.path.join(FLAGS.data_dir, name + ".png")
            with tf.gfile.GFile(paths[name], "wb") as f:
                f.write(sess.run(png))
    return paths


def load_image(path, size=None):
    """The tutorials' loader: decode, floats in [0, 1], resized; back to [0, 255] with a batch dimension."""
    image = tf.image.decode_png(tf.read_file(path), channels=3)
    image = tf.image.convert_image_dtype(image, tf.float32)
    if size is not None:
        image = tf.image.resize_images(image, [size, size])
    return tf.expand_dims(image * 255.0, 0)


def main(_):
    tf.gfile.MakeDirs(FLAGS.data_dir)
    paths = write_inputs(FLAGS.size)
    weights = load_weights(FLAGS.seed)
    shape = (1, FLAGS.size, FLAGS.size, 3)

    # content features, in their own graph as neural-style computes them
    with tf.Graph().as_default(), tf.Session() as sess:
        content = load_image(paths["content"])
        content_image = sess.run(content)
        image = tf.placeholder("float", shape=shape)
        net = net_preloaded(weights, image, FLAGS.pooling)
        content_features = net[CONTENT_LAYER].eval(feed_dict={image: content_image - MEAN_PIXEL})
    print(f"content image mean {content_image.mean():.6f}, {CONTENT_LAYER} features {content_features.shape}")

    with tf.Graph().as_default():
        tf.set_random_seed(FLAGS.seed)
        style_image = load_image(paths["style"], FLAGS.size)
        if FLAGS.style_luminance:  # Gatys et al. 2016's colour-preserving variant
            style_image = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(style_image))
        raw_style = tf.expand_dims(tf.cast(tf.image.decode_image(tf.read_file(paths["style"]), 3), tf.float32), 0)
        corners = tf.image.resize_bilinear(raw_style, [FLAGS.size, FLAGS.size], align_corners=True)
        style_net = net_preloaded(weights, style_image - MEAN_PIXEL, FLAGS.pooling)
        style_grams = {layer: gram_matrix(style_net[layer]) for layer in STYLE_LAYERS}

        if FLAGS.init == "noise":
            initial = tf.random_normal(shape) * 0.256 * 255.0
        else:
            initial = tf.constant(content_image - MEAN_PIXEL)
        image = tf.Variable(initial, name="image")
        net = net_preloaded(weights, image, FLAGS.pooling)

        content_loss = FLAGS.content_weight * (
            2 * tf.nn.l2_loss(net[CONTENT_LAYER] - content_features) / content_features.size
        )
        style_losses = []
        for layer in STYLE_LAYERS:
            gram = gram_matrix(net[layer])
            style_gram = tf.stop_gradient(style_grams[layer])
            size = int(np.prod(style_gram.get_shape().as_list()))
            style_losses.append(2 * tf.nn.l2_loss(gram - style_gram) / size)
        style_loss = FLAGS.style_weight * tf.add_n(style_losses) / len(STYLE_LAYERS)
        tv_loss = FLAGS.tv_weight * tf.reduce_sum(tf.image.total_variation(image))
        loss = content_loss + style_loss + tv_loss

        train_step = tf.train.AdamOptimizer(FLAGS.learning_rate, 0.9, 0.999, 1e-08).minimize(loss, var_list=[image])
        clip = tf.assign(image, tf.clip_by_value(image, -MEAN_PIXEL, 255.0 - MEAN_PIXEL))

        pixels = image + MEAN_PIXEL
        rounded = tf.image.encode_png(tf.cast(tf.round(tf.squeeze(pixels, 0)), tf.uint8))
        converted = tf.image.convert_image_dtype(tf.squeeze(pixels, 0) / 255.0, tf.uint8, saturate=True)
        result_path = os.path.join(FLAGS.data_dir, "result_converted.png")
        write_converted = tf.io.write_file(result_path, tf.image.encode_png(converted))

        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            style_mean, corners_mean = sess.run([tf.reduce_mean(style_image), tf.reduce_mean(corners)])
            print(f"style image mean {style_mean:.6f}, align_corners copy mean {corners_mean:.6f}")
            for layer, gram in zip(STYLE_LAYERS, sess.run([style_grams[name] for name in STYLE_LAYERS])):
                print(f"style gram {layer} {gram.shape} trace {np.trace(gram):.6f}")
            for i in range(FLAGS.iterations):
                _, losses = sess.run([train_step, (content_loss, style_loss, tv_loss, loss)])
                sess.run(clip)
                print("iteration {}: content {:.6f} style {:.6f} tv {:.6f} total {:.6f}".format(i + 1, *losses))
            final, png, _ = sess.run([pixels, rounded, write_converted])
            with tf.gfile.GFile(os.path.join(FLAGS.data_dir, "result.png"), "wb") as f:
                f.write(png)
    print(f"final image mean {final.mean():.6f} min {final.min():.6f} max {final.max():.6f}")
    np.save(os.path.join(FLAGS.data_dir, "result.npy"), final)
    print("wrote", os.path.join(FLAGS.data_dir, "result.png"), "and", result_path)


if __name__ == "__main__":
    tf.app.run()
