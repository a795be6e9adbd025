"""Whole-module save/load: refused by default with PyTorch's message, allowed with
weights_only=False or an allowlist; what comes back works, shares what was shared, and no pickle
or code runs while the file is read unless the caller opted in."""
import io
import pickle

import numpy as np
import pytest

import graphgrad as torch
import graphgrad.nn as nn
import graphgrad.nn.functional as F
from graphgrad.serialization import (add_safe_globals, clear_safe_globals, get_safe_globals,
                                     get_unsafe_globals_in_checkpoint, safe_globals)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.body = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        self.act = F.relu
        self.tied = self.fc  # the same module twice
        self.settings = {"name": "net", "tags": {"a", "b"}, "sizes": (3, 2)}

    def forward(self, x):
        return self.body(self.act(self.fc(x)))


class Node:
    """A plain object that refers to itself."""

    def __init__(self):
        self.me = self
        self.values = torch.arange(3)


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


def test_refused_by_default_with_pytorchs_instructions():
    buf = _saved(Net())
    with pytest.raises(pickle.UnpicklingError) as err:
        torch.load(buf)
    text = str(err.value)
    assert text.startswith("Weights only load failed.")
    assert "Re-running `graphgrad.load` with `weights_only` set to `False`" in text
    assert f"GLOBAL {__name__}.Net was not an allowed global by default" in text
    assert "graphgrad.serialization.add_safe_globals" in text and "safe_globals([" in text


def test_weights_only_false_rebuilds_a_working_module():
    net = Net()
    x = torch.randn(4, 3)
    loaded = torch.load(_saved(net), weights_only=False)
    assert type(loaded) is Net and loaded is not net
    np.testing.assert_array_equal(loaded(x).detach().numpy(), net(x).detach().numpy())
    assert loaded.tied is loaded.fc and loaded.act is F.relu
    assert loaded.settings == net.settings
    assert isinstance(loaded.fc.weight, nn.Parameter) and loaded.fc.weight.requires_grad
    assert list(loaded.state_dict()) == list(net.state_dict())
    loaded(x).sum().backward()
    assert loaded.fc.weight.grad is not None


def test_allowlist_names_every_class_and_restores_after_the_block():
    buf = _saved(Net())
    assert get_unsafe_globals_in_checkpoint(buf) == sorted(
        [f"{__name__}.Net", "graphgrad.nn.modules.activation.ReLU",
         "graphgrad.nn.modules.container.Sequential", "graphgrad.nn.modules.linear.Linear",
         f"{F.relu.__module__}.relu"])
    buf.seek(0)
    with safe_globals([Net]):
        with pytest.raises(pickle.UnpicklingError, match="GLOBAL graphgrad.nn"):
            torch.load(buf)
    buf.seek(0)
    with safe_globals([Net, nn.Linear, nn.Sequential, nn.ReLU, F.relu]):
        assert type(torch.load(buf)) is Net
    assert get_safe_globals() == []
    buf.seek(0)
    add_safe_globals([Net, nn.Linear, nn.Sequential, nn.ReLU, F.relu])
    try:
        assert type(torch.load(buf, weights_only=True)) is Net
    finally:
        clear_safe_globals()


def test_cycles_and_plain_data_files_unchanged():
    node = torch.load(_saved(Node()), weights_only=False)
    assert node.me is node and node.values.tolist() == [0, 1, 2]
    state = Net().state_dict()
    loaded = torch.load(_saved(state))  # a state_dict still loads with the safe default
    assert list(loaded) == list(state)
    assert torch.load(_saved({"s": {1, 2}, "f": frozenset([3])})) == {"s": {1, 2}, "f": frozenset([3])}


def test_what_cannot_be_stored_is_refused_when_saving():
    with pytest.raises(TypeError, match="can't store an object of type function"):
        torch.save({"f": lambda x: x}, io.BytesIO())

    class Local:
        pass

    with pytest.raises(TypeError, match="can't store an object of type Local"):
        torch.save(Local(), io.BytesIO())
    with pytest.raises(TypeError, match="can't store an object of type object"):
        torch.save(object(), io.BytesIO())


def test_a_missing_class_is_a_clear_error(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(Net(), path)
    import graphgrad.serialization as serialization

    with np.load(path, allow_pickle=False) as archive:
        entries = {k: archive[k] for k in archive.files}
    meta = bytes(entries["__graphgrad__"]).decode().replace('"Net"', '"Gone"')
    entries["__graphgrad__"] = np.frombuffer(meta.encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **entries)
    with pytest.raises(serialization.SerializationError, match="Gone, which can't be found"):
        torch.load(path, weights_only=False)
