"""tools/pytorch_examples/rewrite_imports.py changes exactly the import lines of a PyTorch
program, as docs/porting.md's mapping says, and the result runs on graphgrad."""
import importlib.util
import pathlib

import pytest

TOOL = pathlib.Path(__file__).resolve().parents[1] / "tools" / "pytorch_examples" / "rewrite_imports.py"


def _rewrite():
    spec = importlib.util.spec_from_file_location("rewrite_imports", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rewrite_imports


PROGRAM = '''import argparse
import torch
import torch.nn as nn  # layers
import torch.nn.parallel
from torch import optim
from torch.optim.lr_scheduler import (StepLR,
                                      ExponentialLR)
import torchvision
import torchvision.utils as vutils
from torchvision import datasets, transforms
x = torch.zeros(2)  # import torch in a comment stays
'''

EXPECTED = '''import argparse
import graphgrad as torch
import graphgrad.nn as nn  # layers
import graphgrad.nn.parallel; import graphgrad as torch
from graphgrad import optim
from graphgrad.optim.lr_scheduler import StepLR, ExponentialLR

import graphgrad.vision as torchvision
import graphgrad.vision.utils as vutils
from graphgrad.vision import datasets, transforms
x = torch.zeros(2)  # import torch in a comment stays
'''


def test_rewrites_only_import_lines_and_runs():
    rewritten = _rewrite()(PROGRAM)
    assert rewritten == EXPECTED
    namespace = {}
    exec(rewritten, namespace)
    assert namespace["torch"].__name__ == "graphgrad" and namespace["StepLR"].__name__ == "StepLR"
    assert namespace["nn"].parallel.DistributedDataParallel is not None


def test_indented_imports_and_other_packages_are_kept():
    source = "import numpy as np\ntry:\n    import torch.onnx\nexcept ImportError:\n    pass\n"
    assert _rewrite()(source) == ("import numpy as np\ntry:\n    import graphgrad.onnx; import "
                                  "graphgrad as torch\nexcept ImportError:\n    pass\n")


@pytest.mark.parametrize("source", ["x = 1; import torch\n", "import torch; x = 1\n"])
def test_an_import_sharing_its_line_is_refused(source):
    with pytest.raises(ValueError, match="line 1: an import statement shares its line"):
        _rewrite()(source)
