"""nn.Module: registration, iteration, modes, conversion, state_dict, hooks, repr; containers;
Parameter."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

torch = pytest.importorskip("torch")
tnn = torch.nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 2), "b": nn.Linear(8, 3, bias=False)})
        self.scale = nn.Parameter(gg.ones(1))
        self.register_buffer("step", gg.zeros(1))
        self.register_buffer("cache", gg.zeros(2), persistent=False)

    def forward(self, x):
        x = self.bn(self.fc1(x)).relu()
        for b in self.blocks:
            x = b(x)
        return self.heads["a"](x) * self.scale


class TorchNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = tnn.Linear(4, 8)
        self.bn = tnn.BatchNorm1d(8)
        self.blocks = tnn.ModuleList([tnn.Linear(8, 8), tnn.Linear(8, 8)])
        self.heads = tnn.ModuleDict({"a": tnn.Linear(8, 2), "b": tnn.Linear(8, 3, bias=False)})
        self.scale = tnn.Parameter(torch.ones(1))
        self.register_buffer("step", torch.zeros(1))
        self.register_buffer("cache", torch.zeros(2), persistent=False)

    def forward(self, x):
        x = self.bn(self.fc1(x)).relu()
        for b in self.blocks:
            x = b(x)
        return self.heads["a"](x) * self.scale


def to_numpy_state(tmodel):
    return {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}


# ------------------------------------------------------------------ registration
def test_names_and_state_dict_keys_match_pytorch():
    g, t = Net(), TorchNet()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert isinstance(g.state_dict(), OrderedDict)
    assert "cache" not in g.state_dict()


def test_state_dict_is_detached_and_shares_storage():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"].fill_(7.0)
    assert m.weight.detach().numpy()[0, 0] == 7.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_attribute_assignment_registers_and_replaces():
    m = nn.Module()
    m.w = nn.Parameter(gg.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.plain = gg.zeros(3)  # a plain tensor is not registered
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    m.w = None
    assert m.w is None and len(list(m.parameters())) == 2
    with pytest.raises(TypeError, match="cannot assign 'graphgrad.Tensor' as parameter 'w'"):
        m.w = gg.zeros(2)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    del m.sub
    assert not hasattr(m, "sub")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    m.b = nn.Buffer(gg.ones(2), persistent=False)
    assert "b" in dict(m.named_buffers()) and "b" not in m.state_dict()


def test_shared_parameters_listed_once():
    a = nn.Linear(3, 3)
    m = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_registration_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", gg.zeros(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_buffer("x", gg.zeros(1))
    with pytest.raises(TypeError, match="buffer 'y'"):
        m.register_buffer("y", [1, 2])
    with pytest.raises(TypeError, match="parameter 'p'"):
        m.register_parameter("p", gg.zeros(1))
    with pytest.raises(ValueError, match="non-leaf"):
        leaf = gg.ones(2, requires_grad=True)
        p = nn.Parameter(leaf)
        p.grad_fn = (leaf * 2).grad_fn  # simulate a computed tensor posing as a parameter
        m.register_parameter("q", p)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gg.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_get_submodule_parameter_buffer():
    m = Net()
    assert m.get_submodule("blocks.1") is m.blocks[1]
    assert m.get_submodule("") is m
    assert m.get_parameter("heads.a.weight") is m.heads["a"].weight
    assert m.get_buffer("bn.running_mean") is m.bn.running_mean
    with pytest.raises(AttributeError, match="Linear has no attribute `zzz`"):
        m.get_submodule("fc1.zzz")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        m.get_submodule("fc1.weight")


def test_apply_train_eval_requires_grad_zero_grad():
    m = Net()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    m.eval()
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    out = m(gg.randn(5, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in m.fc1.parameters())
    m.zero_grad(set_to_none=False)
    assert np.all(m.fc1.weight.grad.numpy() == 0)
    m.zero_grad()
    assert m.fc1.weight.grad is None


def test_to_double_keeps_parameter_objects_and_int_buffers():
    m = Net()
    params = list(m.parameters())
    m(gg.randn(3, 4)).sum().backward()
    assert m.double() is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == gg.float64 for p in m.parameters())
    assert m.fc1.weight.grad.dtype == gg.float64
    assert m.bn.running_mean.dtype == gg.float64
    assert m.bn.num_batches_tracked.dtype == gg.int64
    assert m(gg.randn(3, 4, dtype=gg.float64)).dtype == gg.float64
    m.to(gg.float32)
    assert m.fc1.weight.dtype == gg.float32 and isinstance(m.fc1.weight, nn.Parameter)
    m.float()
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(gg.int64)
    assert m.to("cpu") is m


# ------------------------------------------------------------------ load_state_dict
def test_load_pytorch_state_dict_gives_same_outputs():
    t = TorchNet()
    with torch.no_grad():
        t.bn.running_mean.uniform_(-1, 1)
        t.bn.running_var.uniform_(0.5, 2)
    g = Net()
    result = g.load_state_dict(to_numpy_state(t))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    g.eval()
    t.eval()
    np.testing.assert_allclose(g(gg.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_strict_and_errors():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = m.state_dict()
    sd.pop("1.bias")
    sd["extra.weight"] = gg.zeros(1)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["1.bias"] and res.unexpected_keys == ["extra.weight"]
    bad = m.state_dict()
    bad["0.weight"] = gg.zeros(4, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with "
                                           r"shape graphgrad.Size\(\[4, 2\]\) from checkpoint, "
                                           r"the shape in current model is "
                                           r"graphgrad.Size\(\[3, 2\]\)"):
        m.load_state_dict(bad, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])


def test_load_state_dict_copies_in_place_and_assign():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2), np.float32), "bias": gg.zeros(2)})
    assert m.weight is w and np.all(w.detach().numpy() == 1)
    new = gg.full((2, 2), 3.0)
    m.load_state_dict({"weight": new, "bias": gg.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_batchnorm_state_dict_without_num_batches_tracked_loads():
    bn = nn.BatchNorm1d(3)
    sd = bn.state_dict()
    sd.pop("num_batches_tracked")
    assert bn.load_state_dict(sd).missing_keys == []


# ---------------------------------------------------------------------- hooks
def test_forward_hooks_replace_input_and_output_and_remove():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(gg.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(m.bias.detach().numpy() + 1,
                                                                     (3, 2)), rtol=1e-6)
    assert calls == [gg.Size([3, 2])]
    h1.remove()
    h2.remove()
    out = m(gg.ones(1, 2))
    assert len(calls) == 1
    h3 = m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), kwargs),
                                     with_kwargs=True)
    np.testing.assert_allclose(m(gg.ones(1, 2)).detach().numpy(),
                               m.forward(gg.full((1, 2), 2.0)).detach().numpy())
    h3.remove()


def test_full_backward_hook_matches_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    t = tnn.Sequential(tnn.Linear(4, 5), tnn.Tanh())
    g = nn.Sequential(nn.Linear(4, 5), nn.Tanh())
    g.load_state_dict(to_numpy_state(t))
    records = {}

    def make(name):
        def hook(mod, gin, gout):
            records[name] = ([None if a is None else a.detach().numpy().copy() for a in gin],
                             [a.detach().numpy().copy() for a in gout])
        return hook

    t[0].register_full_backward_hook(make("t"))
    g[0].register_full_backward_hook(make("g"))
    tx = torch.tensor(x, requires_grad=True)
    gx = gg.tensor(x, requires_grad=True)
    t(tx).sum().backward()
    g(gx).sum().backward()
    for a, b in zip(records["g"][0] + records["g"][1], records["t"][0] + records["t"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_full_backward_hook_can_replace_grad_input_and_sees_none():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gin, gout: tuple(g * 0 for g in gin))
    x = gg.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert np.all(x.grad.numpy() == 0)
    assert m.weight.grad is not None
    seen = []
    m2 = nn.Linear(2, 2)
    m2.register_full_backward_hook(lambda mod, gin, gout: seen.append(gin))
    m2(gg.ones(1, 2)).sum().backward()  # input does not require grad
    assert seen == [(None,)]


# ----------------------------------------------------------------------- repr
def test_repr_matches_pytorch():
    cases = [
        (lambda M: M.Sequential(M.Linear(4, 8), M.ReLU(), M.Dropout(0.25), M.Linear(8, 2, bias=False)),),
        (lambda M: M.Sequential(OrderedDict([("conv_like", M.Flatten()),
                                             ("bn", M.BatchNorm1d(3, momentum=None)),
                                             ("act", M.LeakyReLU(0.2, inplace=True)),
                                             ("inner", M.Sequential(M.GELU(), M.Softmax(dim=1)))])),),
        (lambda M: M.ModuleList([M.Linear(2, 2), M.Linear(2, 2), M.Linear(2, 2), M.Tanh()]),),
        (lambda M: M.ModuleDict({"emb": M.Embedding(10, 3, padding_idx=0), "ln": M.LayerNorm((4, 5)),
                                 "gn": M.GroupNorm(2, 4), "lrn": M.LocalResponseNorm(5, k=2.0),
                                 "bag": M.EmbeddingBag(7, 2, mode="sum"),
                                 "sp": M.Softplus(beta=2.0), "ht": M.Hardtanh(-2.0, 2.0),
                                 "elu": M.ELU(), "un": M.Unflatten(1, (2, 3)), "id": M.Identity(),
                                 "bil": M.Bilinear(2, 3, 4), "ce": M.CrossEntropyLoss(),
                                 "r6": M.ReLU6(), "selu": M.SELU(), "silu": M.SiLU(),
                                 "d2": M.Dropout2d(), "ls": M.LogSoftmax(-1), "sig": M.Sigmoid()}),),
    ]
    for (build,) in cases:
        assert repr(build(nn)) == repr(build(tnn))
    assert repr(Net()) == repr(TorchNet()).replace("TorchNet(", "Net(", 1)


def test_parameter_repr_and_storage():
    base = gg.tensor([1.0, 2.0])
    p = nn.Parameter(base)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert p.is_leaf and p.requires_grad and not base.requires_grad
    base.add_(1)
    assert p.tolist() == [2.0, 3.0]
    assert type(p * 2) is gg.Tensor
    assert not nn.Parameter(gg.zeros(1), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.tolist() == p.tolist()
    q.data.fill_(0)
    assert p.tolist() == [2.0, 3.0]


def test_deepcopy_module_is_independent():
    m = Net()
    c = copy.deepcopy(m)
    with gg.no_grad():
        c.fc1.weight.fill_(0.0)
    assert not np.all(m.fc1.weight.detach().numpy() == 0)
    assert list(c.state_dict()) == list(m.state_dict())


# ------------------------------------------------------------------ containers
def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and s[0] is layers[0] and s[-1] is layers[2]
    head = s[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    s.append(nn.Tanh())
    s.insert(1, nn.Identity())
    assert [type(m).__name__ for m in s] == ["Linear", "Identity", "ReLU", "Linear", "Tanh"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    del s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Tanh"]
    assert list(s._modules) == ["0", "1", "2", "3"]
    s.extend([nn.Identity()])
    s[4] = nn.Sigmoid()
    assert isinstance(s[4], nn.Sigmoid)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        s[9]
    assert s(gg.ones(5, 2)).shape == (5, 3)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.fc is named[0] and list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert len(s + named) == 7
    with pytest.raises(TypeError, match="expected an nn.Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(ml) == 3 and isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 2
    ml.append(nn.ReLU())
    ml.insert(0, nn.Tanh())
    ml += [nn.Identity()]
    assert [type(m).__name__ for m in ml] == ["Tanh", "Linear", "Linear", "Linear", "ReLU",
                                              "Identity"]
    assert len(list(ml.parameters())) == 6
    del ml[0]
    assert isinstance(ml[0], nn.Linear)
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert md.pop("b").__class__ is nn.ReLU and list(md) == ["a", "c"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]


def test_parameterlist_and_parameterdict():
    pl = nn.ParameterList([nn.Parameter(gg.ones(2)), gg.zeros(3)])
    assert all(isinstance(p, nn.Parameter) for p in pl)
    pl.append(gg.ones(1))
    assert len(pl) == 3 and list(pl.state_dict()) == ["0", "1", "2"]
    pd = nn.ParameterDict({"w": gg.ones(2)})
    pd["b"] = nn.Parameter(gg.zeros(1))
    assert list(pd.keys()) == ["w", "b"] and isinstance(pd["w"], nn.Parameter)
    holder = nn.Module()
    holder.pl, holder.pd = pl, pd
    assert [n for n, _ in holder.named_parameters()] == ["pl.0", "pl.1", "pl.2", "pd.w", "pd.b"]
    assert "Parameter containing: [graphgrad.float32 of size 2]" in repr(pl)
    with pytest.raises(RuntimeError, match="should not be called"):
        pl(1)


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
