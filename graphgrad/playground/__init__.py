"""The neural-network playground of the lectures, in the browser, computed by graphgrad.

``graphgrad playground`` starts a local web server (``server.serve``) and opens the page: choose a
data set, the input features, the hidden layers, the learning rate, activation and regularisation,
then watch the network learn. Every step is graphgrad (``network.py``), and "show code" prints the
same training as a Python program (``codegen.py``). The server needs the optional extra
``graphgrad[playground]`` (aiohttp); the rest of this package needs only graphgrad.
"""
from .datasets import make_dataset
from .session import Session
from .settings import DEFAULTS, SettingsError
