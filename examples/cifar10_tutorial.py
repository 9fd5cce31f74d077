"""TensorFlow's classic CIFAR-10 tutorial (models/tutorials/image/cifar10, TF 1.x) in one file.

    python examples/cifar10_tutorial.py --data_dir /tmp/cifar10_data --train_dir /tmp/cifar10_train

cifar10_input.py (a FixedLengthRecordReader over CIFAR's binary records, fed by string_input_producer into
shuffle_batch or batch queues filled by queue-runner threads, with random crops, flips, brightness and
contrast), cifar10.py (conv-pool-lrn twice, two weight-decayed fully connected layers, the losses collection,
moving averages of the losses and of the weights, exponential_decay), cifar10_train.py (MonitoredTrainingSession
with StopAtStepHook, NanTensorHook and a _LoggerHook) and cifar10_eval.py (the moving averages restored in
place of the weights, precision @ 1 from in_top_k) as the tutorial has them. Instead of downloading CIFAR-10
it writes a small synthetic set in CIFAR's binary format (a label byte and 3072 image bytes per record) whose
classes differ in colour. It runs unchanged in TensorFlow (``import tensorflow.compat.v1 as tf``).

With --num_preprocess_threads=1 and --noshuffle the input order is fixed, so TensorFlow and torchmeta
print the same numbers (the distortions are seeded); the tutorial's 16 threads feeding shuffle_batch
make the order depend on thread timing in both.
"""

import math
import os
import re
import sys

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("data_dir", "/tmp/cifar10_data", "Where the CIFAR-10 binary files are (written if missing).")
flags.DEFINE_string("train_dir", "/tmp/cifar10_train", "Where to write event logs and checkpoints.")
flags.DEFINE_string("eval_dir", "/tmp/cifar10_eval", "Where to write the evaluation's event logs.")
flags.DEFINE_string("eval_data", "test", "Either 'test' or 'train_eval'.")
flags.DEFINE_string("checkpoint_dir", "", "Where to read model checkpoints for evaluation (default: train_dir).")
flags.DEFINE_boolean("train", True, "Train before evaluating (else only evaluate the latest checkpoint).")
flags.DEFINE_integer("max_steps", 24, "Number of batches to run.")
flags.DEFINE_integer("batch_size", 16, "Number of images to process in a batch.")
flags.DEFINE_integer("log_frequency", 4, "How often to log results to the console.")
flags.DEFINE_integer("num_preprocess_threads", 16, "Threads filling the batch queue.")
flags.DEFINE_boolean("shuffle", True, "Train from tf.train.shuffle_batch (else tf.train.batch).")
flags.DEFINE_boolean("distort", True, "Train on randomly distorted images (else centrally cropped ones).")
flags.DEFINE_boolean("use_fp16", False, "Train the model using fp16.")
flags.DEFINE_boolean("log_device_placement", False, "Whether to log device placement.")
flags.DEFINE_integer("num_examples", 96, "Number of examples to evaluate.")
flags.DEFINE_integer("seed", 66478, "The graph-level random seed.")
FLAGS = flags.FLAGS

# cifar10_input.py
IMAGE_SIZE = 24
NUM_CLASSES = 10
NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN = 256
NUM_EXAMPLES_PER_EPOCH_FOR_EVAL = 96

# cifar10.py
MOVING_AVERAGE_DECAY = 0.9999
NUM_EPOCHS_PER_DECAY = 1.0
LEARNING_RATE_DECAY_FACTOR = 0.5
INITIAL_LEARNING_RATE = 0.05
TOWER_NAME = "tower"


def write_synthetic_cifar10(data_dir):
    """CIFAR-10's binary layout (label byte, then 1024 red, 1024 green and 1024 blue bytes, row-major) in
    data_batch_1.bin, data_batch_2.bin and test_batch.bin; class c's images lean towards colour c."""
    os.makedirs(data_dir, exist_ok=True)
    palette = np.random.RandomState(7).randint(40, 216, size=(NUM_CLASSES, 3))
    rng = np.random.RandomState(0)
    for name, n in [
        ("data_batch_1.bin", NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN // 2),
        ("data_batch_2.bin", NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN // 2),
        ("test_batch.bin", NUM_EXAMPLES_PER_EPOCH_FOR_EVAL),
    ]:
        labels = rng.randint(0, NUM_CLASSES, size=n)
        images = palette[labels][:, :, None, None] + rng.normal(0, 40, size=(n, 3, 32, 32))
        records = np.concatenate([labels[:, None], np.clip(images, 0, 255).reshape(n, -1)], axis=1)
        records.astype(np.uint8).tofile(os.path.join(data_dir, name))


def read_cifar10(filename_queue):
    """One example from the files in filename_queue: key, label (int32 [1]) and uint8image ([32, 32, 3])."""

    class CIFAR10Record:
        pass

    result = CIFAR10Record()
    label_bytes = 1
    result.height = 32
    result.width = 32
    result.depth = 3
    image_bytes = result.height * result.width * result.depth
    record_bytes = label_bytes + image_bytes
    reader = tf.FixedLengthRecordReader(record_bytes=record_bytes)
    result.key, value = reader.read(filename_queue)
    record_bytes = tf.decode_raw(value, tf.uint8)
    result.label = tf.cast(tf.strided_slice(record_bytes, [0], [label_bytes]), tf.int32)
    depth_major = tf.reshape(
        tf.strided_slice(record_bytes, [label_bytes], [label_bytes + image_bytes]),
        [result.depth, result.height, result.width],
    )
    result.uint8image = tf.transpose(depth_major, [1, 2, 0])
    return result


def _generate_image_and_label_batch(image, label, min_queue_examples, batch_size, shuffle):
    num_preprocess_threads = FLAGS.num_preprocess_threads
    if shuffle:
        images, label_batch = tf.train.shuffle_batch(
            [image, label],
            batch_size=batch_size,
            num_threads=num_preprocess_threads,
            capacity=min_queue_examples + 3 * batch_size,
            min_after_dequeue=min_queue_examples,
        )
    else:
        images, label_batch = tf.train.batch(
            [image, label],
            batch_size=batch_size,
            num_threads=num_preprocess_threads,
            capacity=min_queue_examples + 3 * batch_size,
        )
    tf.summary.image("images", images)
    return images, tf.reshape(label_batch, [batch_size])


def distorted_inputs(data_dir, batch_size):
    """Training images, randomly cropped to 24x24, flipped, brightened and contrasted, then standardized."""
    filenames = [os.path.join(data_dir, f"data_batch_{i}.bin") for i in range(1, 3)]
    for f in filenames:
        if not tf.gfile.Exists(f):
            raise ValueError("Failed to find file: " + f)
    filename_queue = tf.train.string_input_producer(filenames)
    with tf.name_scope("data_augmentation"):
        read_input = read_cifar10(filename_queue)
        reshaped_image = tf.cast(read_input.uint8image, tf.float32)
        height = IMAGE_SIZE
        width = IMAGE_SIZE
        distorted_image = tf.random_crop(reshaped_image, [height, width, 3])
        distorted_image = tf.image.random_flip_left_right(distorted_image)
        distorted_image = tf.image.random_brightness(distorted_image, max_delta=63)
        distorted_image = tf.image.random_contrast(distorted_image, lower=0.2, upper=1.8)
        float_image = tf.image.per_image_standardization(distorted_image)
        float_image.set_shape([height, width, 3])
        read_input.label.set_shape([1])
        min_fraction_of_examples_in_queue = 0.4
        min_queue_examples = int(NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN * min_fraction_of_examples_in_queue)
    return _generate_image_and_label_batch(
        float_image, read_input.label, min_queue_examples, batch_size, shuffle=FLAGS.shuffle
    )


def inputs(eval_data, data_dir, batch_size, shuffle=False):
    """Images centrally cropped to 24x24 and standardized, from the training or the test file(s)."""
    if not eval_data:
        filenames = [os.path.join(data_dir, f"data_batch_{i}.bin") for i in range(1, 3)]
        num_examples_per_epoch = NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN
    else:
        filenames = [os.path.join(data_dir, "test_batch.bin")]
        num_examples_per_epoch = NUM_EXAMPLES_PER_EPOCH_FOR_EVAL
    for f in filenames:
        if not tf.gfile.Exists(f):
            raise ValueError("Failed to find file: " + f)
    with tf.name_scope("input"):
        filename_queue = tf.train.string_input_producer(filenames)
        read_input = read_cifar10(filename_queue)
        reshaped_image = tf.cast(read_input.uint8image, tf.float32)
        height = IMAGE_SIZE
        width = IMAGE_SIZE
        resized_image = tf.image.resize_image_with_crop_or_pad(reshaped_image, height, width)
        float_image = tf.image.per_image_standardization(resized_image)
        float_image.set_shape([height, width, 3])
        read_input.label.set_shape([1])
        min_fraction_of_examples_in_queue = 0.4
        min_queue_examples = int(num_examples_per_epoch * min_fraction_of_examples_in_queue)
    return _generate_image_and_label_batch(float_image, read_input.label, min_queue_examples, batch_size, shuffle)


def _activation_summary(x):
    tensor_name = re.sub(f"{TOWER_NAME}_[0-9]*/", "", x.op.name)
    tf.summary.histogram(tensor_name + "/activations", x)
    tf.summary.scalar(tensor_name + "/sparsity", tf.nn.zero_fraction(x))


def _variable_on_cpu(name, shape, initializer):
    with tf.device("/cpu:0"):
        dtype = tf.float16 if FLAGS.use_fp16 else tf.float32
        var = tf.get_variable(name, shape, initializer=initializer, dtype=dtype)
    return var


def _variable_with_weight_decay(name, shape, stddev, wd):
    """A truncated-normal variable whose L2 loss times wd joins the 'losses' collection."""
    dtype = tf.float16 if FLAGS.use_fp16 else tf.float32
    var = _variable_on_cpu(name, shape, tf.truncated_normal_initializer(stddev=stddev, dtype=dtype))
    if wd is not None:
        weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name="weight_loss")
        tf.add_to_collection("losses", weight_decay)
    return var


def inference(images):
    """The CIFAR-10 model: logits for each image."""
    with tf.variable_scope("conv1") as scope:
        kernel = _variable_with_weight_decay("weights", shape=[5, 5, 3, 64], stddev=5e-2, wd=None)
        conv = tf.nn.conv2d(images, kernel, [1, 1, 1, 1], padding="SAME")
        biases = _variable_on_cpu("biases", [64], tf.constant_initializer(0.0))
        pre_activation = tf.nn.bias_add(conv, biases)
        conv1 = tf.nn.relu(pre_activation, name=scope.name)
        _activation_summary(conv1)
    pool1 = tf.nn.max_pool(conv1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", name="pool1")
    norm1 = tf.nn.lrn(pool1, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm1")
    with tf.variable_scope("conv2") as scope:
        kernel = _variable_with_weight_decay("weights", shape=[5, 5, 64, 64], stddev=5e-2, wd=None)
        conv = tf.nn.conv2d(norm1, kernel, [1, 1, 1, 1], padding="SAME")
        biases = _variable_on_cpu("biases", [64], tf.constant_initializer(0.1))
        pre_activation = tf.nn.bias_add(conv, biases)
        conv2 = tf.nn.relu(pre_activation, name=scope.name)
        _activation_summary(conv2)
    norm2 = tf.nn.lrn(conv2, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm2")
    pool2 = tf.nn.max_pool(norm2, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", name="pool2")
    with tf.variable_scope("local3") as scope:
        reshape = tf.reshape(pool2, [images.get_shape().as_list()[0], -1])
        dim = reshape.get_shape()[1].value
        weights = _variable_with_weight_decay("weights", shape=[dim, 384], stddev=0.04, wd=0.004)
        biases = _variable_on_cpu("biases", [384], tf.constant_initializer(0.1))
        local3 = tf.nn.relu(tf.matmul(reshape, weights) + biases, name=scope.name)
        _activation_summary(local3)
    with tf.variable_scope("local4") as scope:
        weights = _variable_with_weight_decay("weights", shape=[384, 192], stddev=0.04, wd=0.004)
        biases = _variable_on_cpu("biases", [192], tf.constant_initializer(0.1))
        local4 = tf.nn.relu(tf.matmul(local3, weights) + biases, name=scope.name)
        _activation_summary(local4)
    with tf.variable_scope("softmax_linear") as scope:
        weights = _variable_with_weight_decay("weights", [192, NUM_CLASSES], stddev=1 / 192.0, wd=None)
        biases = _variable_on_cpu("biases", [NUM_CLASSES], tf.constant_initializer(0.0))
        softmax_linear = tf.add(tf.matmul(local4, weights), biases, name=scope.name)
        _activation_summary(softmax_linear)
    return softmax_linear


def loss(logits, labels):
    """The mean cross entropy plus every weight-decay term of the 'losses' collection."""
    labels = tf.cast(labels, tf.int64)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name="cross_entropy_per_example"
    )
    cross_entropy_mean = tf.reduce_mean(cross_entropy, name="cross_entropy")
    tf.add_to_collection("losses", cross_entropy_mean)
    return tf.add_n(tf.get_collection("losses"), name="total_loss")


def _add_loss_summaries(total_loss):
    loss_averages = tf.train.ExponentialMovingAverage(0.9, name="avg")
    losses = tf.get_collection("losses")
    loss_averages_op = loss_averages.apply([*losses, total_loss])
    for each in [*losses, total_loss]:
        tf.summary.scalar(each.op.name + " (raw)", each)
        tf.summary.scalar(each.op.name, loss_averages.average(each))
    return loss_averages_op, loss_averages


def train(total_loss, global_step):
    """One training step: SGD on an exponentially decayed rate, then the weights' moving averages."""
    num_batches_per_epoch = NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN / FLAGS.batch_size
    decay_steps = int(num_batches_per_epoch * NUM_EPOCHS_PER_DECAY)
    lr = tf.train.exponential_decay(
        INITIAL_LEARNING_RATE, global_step, decay_steps, LEARNING_RATE_DECAY_FACTOR, staircase=True
    )
    tf.summary.scalar("learning_rate", lr)
    loss_averages_op, loss_averages = _add_loss_summaries(total_loss)
    with tf.control_dependencies([loss_averages_op]):
        opt = tf.train.GradientDescentOptimizer(lr)
        grads = opt.compute_gradients(total_loss)
    apply_gradient_op = opt.apply_gradients(grads, global_step=global_step)
    for var in tf.trainable_variables():
        tf.summary.histogram(var.op.name, var)
    for grad, var in grads:
        if grad is not None:
            tf.summary.histogram(var.op.name + "/gradients", grad)
    variable_averages = tf.train.ExponentialMovingAverage(MOVING_AVERAGE_DECAY, global_step)
    variables_averages_op = variable_averages.apply(tf.trainable_variables())
    with tf.control_dependencies([apply_gradient_op, variables_averages_op]):
        train_op = tf.no_op(name="train")
    return train_op, lr, loss_averages.average(total_loss)


def run_training():
    """cifar10_train.py's train()."""
    with tf.Graph().as_default():
        tf.set_random_seed(FLAGS.seed)
        global_step = tf.train.get_or_create_global_step()
        with tf.device("/cpu:0"):
            if FLAGS.distort:
                images, labels = distorted_inputs(FLAGS.data_dir, FLAGS.batch_size)
            else:
                images, labels = inputs(False, FLAGS.data_dir, FLAGS.batch_size, shuffle=FLAGS.shuffle)
            if FLAGS.use_fp16:
                images = tf.cast(images, tf.float16)
                labels = tf.cast(labels, tf.float16)
        logits = inference(images)
        total_loss = loss(logits, labels)
        train_op, lr, average_loss = train(total_loss, global_step)

        class _LoggerHook(tf.train.SessionRunHook):
            """Logs loss and the learning rate; the first batch's images are described once."""

            def begin(self):
                self._step = -1

            def before_run(self, run_context):
                self._step += 1
                if self._step == 0:
                    return tf.train.SessionRunArgs([total_loss, lr, images, labels])
                return tf.train.SessionRunArgs([total_loss, lr, average_loss])

            def after_run(self, run_context, run_values):
                if self._step == 0:
                    loss_value, rate, batch, batch_labels = run_values.results
                    means = batch.mean(axis=(1, 2, 3))
                    stds = batch.std(axis=(1, 2, 3))
                    print(
                        f"batch: images {'x'.join(map(str, batch.shape))} {batch.dtype} in [{batch.min():.4f},"
                        f" {batch.max():.4f}], per-image mean within {np.abs(means).max():.2e} of 0, std within"
                        f" {np.abs(stds - 1).max():.2e} of 1; labels {'x'.join(map(str, batch_labels.shape))}"
                        f" {batch_labels.dtype} in [{batch_labels.min()}, {batch_labels.max()}]"
                    )
                    print(f"step {self._step}, loss = {loss_value:.5f}, learning rate {rate:.5f}")
                elif self._step % FLAGS.log_frequency == 0:
                    loss_value, rate, average = run_values.results
                    print(
                        f"step {self._step}, loss = {loss_value:.5f}, learning rate {rate:.5f},"
                        f" loss average {average:.5f}"
                    )
                    sys.stdout.flush()

        with tf.train.MonitoredTrainingSession(
            checkpoint_dir=FLAGS.train_dir,
            hooks=[
                tf.train.StopAtStepHook(last_step=FLAGS.max_steps),
                tf.train.NanTensorHook(total_loss),
                _LoggerHook(),
            ],
            config=tf.ConfigProto(log_device_placement=FLAGS.log_device_placement),
            log_step_count_steps=None,
        ) as mon_sess:
            while not mon_sess.should_stop():
                mon_sess.run(train_op)


def eval_once(saver, summary_writer, top_k_op, logits, summary_op):
    """cifar10_eval.py's eval_once(): restores the latest checkpoint and counts the top-1 hits."""
    with tf.Session() as sess:
        ckpt = tf.train.get_checkpoint_state(FLAGS.checkpoint_dir or FLAGS.train_dir)
        if ckpt and ckpt.model_checkpoint_path:
            saver.restore(sess, ckpt.model_checkpoint_path)
            global_step = ckpt.model_checkpoint_path.split("/")[-1].split("-")[-1]
        else:
            print("No checkpoint file found")
            return
        coord = tf.train.Coordinator()
        try:
            threads = []
            for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS):
                threads.extend(qr.create_threads(sess, coord=coord, daemon=True, start=True))
            num_iter = math.ceil(FLAGS.num_examples / FLAGS.batch_size)
            true_count = 0
            logit_sum = 0.0
            total_sample_count = num_iter * FLAGS.batch_size
            step = 0
            while step < num_iter and not coord.should_stop():
                predictions, logit_values = sess.run([top_k_op, logits])
                true_count += np.sum(predictions)
                logit_sum += float(np.abs(logit_values).astype(np.float64).sum())
                step += 1
            precision = true_count / total_sample_count
            mean_logit = logit_sum / total_sample_count / NUM_CLASSES
            print(f"step {global_step}: precision @ 1 = {precision:.4f}, mean |logit| {mean_logit:.5f}")
            summary = tf.Summary()
            summary.ParseFromString(sess.run(summary_op))
            summary.value.add(tag="Precision @ 1", simple_value=precision)
            summary_writer.add_summary(summary, global_step)
        except Exception as e:  # pylint: disable=broad-except
            coord.request_stop(e)
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)


def evaluate():
    """cifar10_eval.py's evaluate(), once: the weights' moving averages restored into the model."""
    with tf.Graph().as_default() as g:
        eval_data = FLAGS.eval_data == "test"
        images, labels = inputs(eval_data, FLAGS.data_dir, FLAGS.batch_size)
        if FLAGS.use_fp16:
            images = tf.cast(images, tf.float16)
        logits = inference(images)
        top_k_op = tf.nn.in_top_k(logits, labels, 1)
        variable_averages = tf.train.ExponentialMovingAverage(MOVING_AVERAGE_DECAY)
        variables_to_restore = variable_averages.variables_to_restore()
        saver = tf.train.Saver(variables_to_restore)
        summary_op = tf.summary.merge_all()
        summary_writer = tf.summary.FileWriter(FLAGS.eval_dir, g)
        eval_once(saver, summary_writer, top_k_op, logits, summary_op)
        summary_writer.close()


def main(argv=None):
    write_synthetic_cifar10(FLAGS.data_dir)
    if FLAGS.train:
        if tf.gfile.Exists(FLAGS.train_dir):
            tf.gfile.DeleteRecursively(FLAGS.train_dir)
        tf.gfile.MakeDirs(FLAGS.train_dir)
        run_training()
    if tf.gfile.Exists(FLAGS.eval_dir):
        tf.gfile.DeleteRecursively(FLAGS.eval_dir)
    tf.gfile.MakeDirs(FLAGS.eval_dir)
    evaluate()


if __name__ == "__main__":
    tf.app.run()
