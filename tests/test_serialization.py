"""graphgrad.save/load (npz + JSON, no pickle) and safetensors read/write, with interop against
the safetensors package and PyTorch."""
import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn
from graphgrad.serialization import SerializationError, load_safetensors_metadata


def make_model():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


# ------------------------------------------------------------------- save / load
def test_round_trip_keeps_types_and_values(tmp_path):
    shared = gg.randn(3)
    param = nn.Parameter(gg.ones(2))
    obj = {
        "model": make_model().state_dict(),
        "state": {0: {"step": 5, "exp_avg": shared}, 1: {"exp_avg": shared}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "params": [0, 1],
                          "name": None}],
        "floats": [float("inf"), float("-inf"), 1.5],
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.float64(2.5),
        "dtype": gg.float64,
        "param": param,
        "grad_leaf": gg.zeros(2, requires_grad=True),
        "text": "héllo",
    }
    path = tmp_path / "ckpt.pt"
    gg.save(obj, path)
    back = gg.load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(obj["model"])
    for k, v in obj["model"].items():
        assert back["model"][k].dtype == v.dtype and back["model"][k].shape == v.shape
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert list(back["state"]) == [0, 1] and back["state"][0]["step"] == 5
    assert back["state"][0]["exp_avg"] is back["state"][1]["exp_avg"]  # shared stays shared
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["param_groups"][0]["name"] is None and back["param_groups"][0]["amsgrad"] is False
    assert back["floats"][:2] == [float("inf"), float("-inf")]
    assert back["array"].dtype == np.int32 and back["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["scalar"] == 2.5 and back["dtype"] == gg.float64 and back["text"] == "héllo"
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert back["grad_leaf"].requires_grad and not isinstance(back["grad_leaf"], nn.Parameter)
    assert gg.load(path)["floats"] == [float("inf"), float("-inf"), 1.5]


def test_nan_round_trips(tmp_path):
    gg.save({"x": float("nan")}, tmp_path / "n.pt")
    assert np.isnan(gg.load(tmp_path / "n.pt")["x"])


def test_model_round_trip_gives_same_outputs(tmp_path):
    model = make_model()
    model.train()
    model(gg.randn(8, 4))  # move the running statistics
    model.eval()
    gg.save(model.state_dict(), str(tmp_path / "m.pt"))
    other = make_model()
    other.load_state_dict(gg.load(str(tmp_path / "m.pt")))
    other.eval()
    x = gg.randn(5, 4)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_file_objects_and_exact_path(tmp_path):
    buf = io.BytesIO()
    gg.save({"a": gg.ones(2)}, buf)
    buf.seek(0)
    assert gg.load(buf)["a"].tolist() == [1.0, 1.0]
    gg.save([1, 2], tmp_path / "noext")  # no '.npz' is appended
    assert os.listdir(tmp_path) == ["noext"]


def test_failed_save_leaves_old_file_and_no_temporaries(tmp_path):
    path = tmp_path / "ckpt.pt"
    gg.save({"v": 1}, path)
    with pytest.raises(TypeError, match=r"can't store an object of type object at \['bad'\]"):
        gg.save({"v": 2, "bad": object()}, path)
    assert gg.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    with pytest.raises(TypeError, match="keys must be strings"):
        gg.save({(1, 2): 3}, path)


def test_truncated_and_corrupted_files_raise(tmp_path):
    path = tmp_path / "ckpt.pt"
    gg.save({"w": gg.randn(100, 10)}, path)
    data = path.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(SerializationError, match="trunc.pt' is damaged .*truncated or corrupted"):
        gg.load(tmp_path / "trunc.pt")
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF  # inside the array data: the zip CRC catches it
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(SerializationError, match="flip.pt' is damaged"):
        gg.load(tmp_path / "flip.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(SerializationError, match="empty.pt' is damaged .*the file is empty"):
        gg.load(tmp_path / "empty.pt")


@pytest.mark.parametrize("content", [bytes(range(256)) * 20, b"PK", b"\x93NUMPY\x01",
                                     pickle.dumps({"w": [1, 2, 3]})])
def test_a_damaged_file_is_named_and_never_pickle_advice(tmp_path, content):
    """Random bytes (and pickles) make numpy talk about allow_pickle; graphgrad's message does not."""
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(content)
    for source in (path, io.BytesIO(content)):
        with pytest.raises(SerializationError) as info:
            gg.load(source)
        assert "is damaged" in str(info.value)
        assert "pickle=" not in str(info.value) and "pickle.load" not in str(info.value)
    assert "checkpoint.npz' is damaged" in str(pytest.raises(SerializationError, gg.load, path).value)


def test_a_missing_file_or_a_folder_is_not_called_damaged(tmp_path):
    with pytest.raises(FileNotFoundError):
        gg.load(tmp_path / "nothing.npz")
    with pytest.raises(IsADirectoryError):
        gg.load(tmp_path)


def _write_archive(path, meta, arrays=None):
    entries = dict(arrays or {})
    entries["__graphgrad__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **entries)


@pytest.mark.parametrize("meta,why", [
    ({"format": "other", "version": 1, "root": 1}, "does not name the graphgrad format"),
    ({"format": "graphgrad", "version": 99, "root": 1}, "newer"),
    ({"format": "graphgrad", "version": 1, "root": {"__tensor__": "missing"}}, "does not contain"),
    ({"format": "graphgrad", "version": 1, "root": {"__tensor__": "__graphgrad__"}},
     "does not contain"),
    ({"format": "graphgrad", "version": 1, "root": {"__evil__": "os.system"}}, "unknown entry"),
    ({"format": "graphgrad", "version": 1, "root": {"__dict__": [[1]]}}, "pairs"),
])
def test_tampered_metadata_raises(tmp_path, meta, why):
    path = tmp_path / "t.pt"
    _write_archive(path, meta)
    with pytest.raises(SerializationError, match=why):
        gg.load(path)


def test_pickle_payload_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(SerializationError):
        gg.load(bad)
    # a pickled object array hidden inside an otherwise valid archive
    obj_arr = np.empty(1, dtype=object)
    obj_arr[0] = Payload()
    inner = tmp_path / "inner.pt"
    with zipfile.ZipFile(inner, "w") as z:
        b = io.BytesIO()
        np.save(b, obj_arr, allow_pickle=True)
        z.writestr("a0.npy", b.getvalue())
        b = io.BytesIO()
        meta = {"format": "graphgrad", "version": 1, "root": {"__ndarray__": "a0"}}
        np.save(b, np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
        z.writestr("__graphgrad__.npy", b.getvalue())
    with pytest.raises(SerializationError, match="damaged") as info:
        gg.load(inner)
    assert "pickled Python objects, which graphgrad never loads" in str(info.value)
    assert "allow_pickle" not in str(info.value)
    assert not marker.exists()


# ------------------------------------------------------------------- safetensors
def test_safetensors_round_trip_and_metadata(tmp_path):
    sd = make_model().state_dict()
    path = tmp_path / "m.safetensors"
    gg.save_safetensors(sd, path, metadata={"format": "pt", "note": "hi"})
    back = gg.load_safetensors(path)
    assert list(back) == list(sd)
    for k in sd:
        assert back[k].dtype == sd[k].dtype and back[k].shape == sd[k].shape
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())
    assert load_safetensors_metadata(path) == {"format": "pt", "note": "hi"}
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    assert header_len % 8 == 0


def test_safetensors_interop_with_the_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    arrays = {"f32": np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
              "f64": np.arange(5, dtype=np.float64), "i64": np.arange(6).reshape(2, 3),
              "u8": np.arange(4, dtype=np.uint8), "b": np.array([True, False]),
              "f16": np.ones(2, np.float16), "scalar": np.array(3.0, np.float32),
              "empty": np.zeros((0, 3), np.float32)}
    ours = tmp_path / "ours.safetensors"
    gg.save_safetensors({k: gg.from_numpy(v) for k, v in arrays.items()}, ours,
                        metadata={"k": "v"})
    theirs_read = st.load_file(str(ours))
    with safe_open(str(ours), framework="np") as f:
        assert f.metadata() == {"k": "v"}
    for k, v in arrays.items():
        assert theirs_read[k].dtype == v.dtype
        np.testing.assert_array_equal(theirs_read[k], v)
    theirs = tmp_path / "theirs.safetensors"
    st.save_file(arrays, str(theirs))
    back = gg.load_safetensors(theirs)
    for k, v in arrays.items():
        assert back[k].numpy().dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k].numpy(), v)


def test_pytorch_state_dict_through_safetensors_gives_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tnn = torch.nn
    tmodel = tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.ReLU(), tnn.Linear(6, 2))
    tmodel.train()
    tmodel(torch.randn(16, 4))
    tmodel.eval()
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(tmodel.state_dict(), str(path))
    model = make_model()
    assert model.load_state_dict(gg.load_safetensors(path)).missing_keys == []
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(gg.tensor(x)).detach().numpy(),
                               tmodel(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and back: graphgrad's file loads into PyTorch
    ours = tmp_path / "ours.safetensors"
    gg.save_safetensors(model.state_dict(), ours)
    tmodel2 = tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.ReLU(), tnn.Linear(6, 2))
    tmodel2.load_state_dict(st_torch.load_file(str(ours)))
    tmodel2.eval()
    np.testing.assert_allclose(tmodel2(torch.tensor(x)).detach().numpy(),
                               tmodel(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_bfloat16_is_read_as_float32(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    t = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    st_torch.save_file({"w": t}, str(tmp_path / "bf.safetensors"))
    back = gg.load_safetensors(tmp_path / "bf.safetensors")["w"]
    assert back.dtype == gg.float32 and back.tolist() == t.float().tolist()


def _st_bytes(header, data=b""):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


@pytest.mark.parametrize("blob,why", [
    (b"\x01\x02", "shorter than the 8-byte"),
    ((10**6).to_bytes(8, "little") + b"{}", "exceeds the file size"),
    ((2).to_bytes(8, "little") + b"{x", "not valid JSON"),
    (_st_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
     "outside"),
    (_st_bytes({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
     "expected"),
    (_st_bytes({"a": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unsupported dtype"),
    (_st_bytes({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "overlap"),
    (_st_bytes({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 12),
     "cover 4 bytes"),
    (_st_bytes({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "invalid shape"),
])
def test_bad_safetensors_files_raise(tmp_path, blob, why):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(SerializationError, match=why):
        gg.load_safetensors(path)


def test_save_safetensors_input_errors(tmp_path):
    with pytest.raises(TypeError, match="expected a Tensor or a NumPy array"):
        gg.save_safetensors({"a": [1, 2]}, tmp_path / "x")
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        gg.save_safetensors({"a": gg.ones(1)}, tmp_path / "x", metadata={"a": 1})
    assert os.listdir(tmp_path) == []
