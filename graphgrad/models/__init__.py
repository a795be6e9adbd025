"""Layer 8: the model zoo, one file per family."""
from .alexnet import AlexNet
from .autoencoder import Autoencoder
from .charrnn import CharRNN
from .chartransformer import CharTransformer
from .cnn import LeNet5, SimpleCNN
from .cnnrnn import CNNRNN
from .gan import DCGAN, GAN, DCDiscriminator, DCGenerator, MLPDiscriminator, MLPGenerator
from .highway import HighwayLayer, HighwayNet
from .linear import MLP, LogisticRegression
from .sentiment import SentimentRNN
from .seq2seq import Seq2Seq
from .textcnn import TextCNN
from .resnet import (BasicBlock, Bottleneck, CifarResNet, PlainNet, ResNet, resnet18, resnet20,
                     resnet32, resnet34, resnet44, resnet50, resnet56, resnet101, resnet110,
                     resnet152)
from .siamese import ContrastiveLoss, EmbeddingNet, SiameseNet, contrastive_loss
from .summary import summary
from .vae import VAE
from .vgg import VGG, vgg11, vgg13, vgg16, vgg19
from .word2vec import CBOW, SkipGram

__all__ = [
    "Autoencoder", "DCDiscriminator", "DCGAN", "DCGenerator", "GAN", "MLPDiscriminator",
    "MLPGenerator", "VAE",
    "AlexNet", "BasicBlock", "Bottleneck", "CifarResNet", "HighwayLayer", "HighwayNet", "LeNet5",
    "LogisticRegression", "MLP", "PlainNet", "ResNet", "SimpleCNN", "VGG", "resnet18", "resnet20",
    "resnet32", "resnet34", "resnet44", "resnet50", "resnet56", "resnet101", "resnet110",
    "resnet152", "summary", "vgg11", "vgg13", "vgg16", "vgg19",
]
__all__ += ["ContrastiveLoss", "EmbeddingNet", "SiameseNet", "contrastive_loss"]
__all__ += ["CBOW", "CharRNN", "CharTransformer", "CNNRNN", "SentimentRNN", "Seq2Seq", "SkipGram", "TextCNN"]
