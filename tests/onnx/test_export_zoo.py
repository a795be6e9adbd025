"""The zoo's inference graphs exported to ONNX and run in ONNX Runtime at two batch sizes."""
import os
import sys

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import graphgrad  # noqa: E402
from graphgrad import models  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from onnx_check import export_and_compare  # noqa: E402


def images(c, h, w, n=2):
    return graphgrad.randn(n, c, h, w)


def tokens(vocab, n=2, t=7):
    return graphgrad.randint(0, vocab, (n, t))


ZOO = {
    "mlp": lambda: (models.MLP(784, [32, 16], 10, dropout=0.2), images(1, 28, 28)),
    "simple_cnn": lambda: (models.SimpleCNN(), images(1, 28, 28)),
    "lenet5": lambda: (models.LeNet5(), images(1, 28, 28)),
    # 67x67 keeps it quick: the features end at 1x1 and adaptive pooling spreads them to 6x6
    "alexnet_lrn": lambda: (models.AlexNet(num_classes=10, lrn=True), images(3, 67, 67)),
    "vgg11_bn": lambda: (models.vgg11(batch_norm=True, num_classes=10), images(3, 32, 32)),
    "resnet20": lambda: (models.resnet20(), images(3, 32, 32)),
    "resnet18": lambda: (models.resnet18(num_classes=10), images(3, 64, 64)),
    "text_cnn": lambda: (models.TextCNN(50, 8, num_filters=4), tokens(50)),
    "sentiment_lstm": lambda: (models.SentimentRNN(50, 8, 6, num_layers=2), tokens(50)),
    "sentiment_gru": lambda: (models.SentimentRNN(50, 8, 6, cell="gru"), tokens(50)),
    # and the rest of the zoo's image models
    "autoencoder_conv": lambda: (models.Autoencoder(arch="conv"), graphgrad.rand(2, 1, 28, 28)),
    "vae_conv": lambda: (models.VAE(arch="conv"), graphgrad.rand(2, 1, 28, 28)),
    "dcgan_generator": lambda: (models.DCGenerator(latent_dim=8, channels=8), graphgrad.randn(2, 8)),
    "dcgan_discriminator": lambda: (models.DCDiscriminator(channels=8), images(1, 28, 28)),
    "highway": lambda: (models.HighwayNet(depth=3), graphgrad.randn(2, 784)),
    "cnn_rnn": lambda: (models.CNNRNN(5), graphgrad.randn(2, 4, 1, 36, 36)),
}


def _trained_statistics(model):
    """Give batch norm layers running statistics that are not the initial 0 and 1."""
    for name, buf in model.named_buffers():
        if name.endswith("running_mean"):
            buf.copy_(graphgrad.randn(*buf.shape) * 0.1)
        elif name.endswith("running_var"):
            buf.copy_(graphgrad.rand(*buf.shape) + 0.5)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_matches_onnx_runtime(name):
    model, example = ZOO[name]()
    _trained_statistics(model)
    proto = export_and_compare(model, example)
    initializers = {t.name for t in proto.graph.initializer}
    state = set(model.state_dict())
    used = initializers & state
    # every parameter is an initialiser under its state_dict key
    assert {k for k, _ in model.named_parameters()} <= used, sorted(state - initializers)
    if any(k.endswith("running_mean") for k in state):
        assert any(n.op_type == "BatchNormalization" for n in proto.graph.node)


def test_char_rnn_batch_and_state_inputs():
    """CharRNN (sequence first) returns logits and the LSTM's (h, c); the batch is axis 1, and the
    state can be fed back in as inputs."""
    model = models.CharRNN(20, 8, 6, num_layers=2)
    x = graphgrad.randint(0, 20, (5, 2))
    export_and_compare(model, x, axis=1)
    h = graphgrad.randn(2, 2, 6)
    export_and_compare(model, (x, (h, graphgrad.randn(2, 2, 6))), axis=1)


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_char_rnn_cells_with_dynamic_sequence_length(cell):
    model = models.CharRNN(20, 8, 6, num_layers=1, cell=cell)
    export_and_compare(model, graphgrad.randint(0, 20, (5, 3)), axis=0, sizes=(1, 9))
