"""Converters of elementwise ops: arithmetic, unary functions, activations, softmax, clamping,
casts. Each writes one ONNX node, or a few where ONNX has no single equivalent."""
from __future__ import annotations

import math

import numpy as np

from ..ops import activation as A
from ..ops import arithmetic as M
from ..ops import copying as C
from ..ops import elementwise as E
from ..ops import selection as S
from .graph import converts

_UNARY = {E.Exp: "Exp", E.Log: "Log", E.Sqrt: "Sqrt", E.Reciprocal: "Reciprocal", E.Tanh: "Tanh",
          E.Sigmoid: "Sigmoid", E.Relu: "Relu", E.Abs: "Abs", E.Sin: "Sin", E.Cos: "Cos",
          E.Tan: "Tan", E.Sign: "Sign", E.Floor: "Floor", E.Ceil: "Ceil", M.Neg: "Neg",
          C.Clone: "Identity"}
_BINARY = {M.Add: "Add", M.Sub: "Sub", M.Mul: "Mul", M.Div: "Div", M.Pow: "Pow",
           S.Maximum: "Max", S.Minimum: "Min"}


@converts(*_UNARY)
def unary(site):
    site.out(_UNARY[site.call.op], [site.input(0)])


@converts(*_BINARY)
def binary(site):
    dtype = site.dtype()  # ONNX wants both operands of the result's type: numbers become constants
    site.out(_BINARY[site.call.op], [site.operand(0, dtype), site.operand(1, dtype)])


@converts(M.PowScalar)
def pow_scalar(site):
    site.out("Pow", [site.input(0), site.operand(1, site.dtype())])


@converts(E.Rsqrt)
def rsqrt(site):
    site.out("Reciprocal", site.g.emit("Sqrt", [site.input(0)]))


@converts(C.ToDtype)
def to_dtype(site):
    site.out("Cast", [site.input(0)], to=site.g.onnx.helper.np_dtype_to_tensor_dtype(site.dtype()))


@converts(A.LeakyRelu)
def leaky_relu(site):
    site.out("LeakyRelu", [site.input(0)], alpha=float(site.args[1]))


@converts(A.Hardtanh, S.ClampScalar)
def clip(site):
    dtype = site.dtype()
    bounds = ["" if b is None else site.g.const(np.asarray(b, dtype=dtype), "bound")
              for b in site.args[1:3]]
    site.out("Clip", [site.input(0)] + bounds)


@converts(A.Elu)
def elu(site):
    alpha, scale, input_scale = (float(a) for a in site.args[1:4])
    x = site.input(0)
    if scale == 1 and input_scale == 1:
        site.out("Elu", [x], alpha=alpha)
    elif input_scale == 1:
        site.out("Selu", [x], alpha=alpha, gamma=scale)
    elif scale == 1 and math.isclose(input_scale * alpha, 1.0):
        site.out("Celu", [x], alpha=alpha)
    else:
        raise site.error(f"no ONNX op for ELU with alpha={alpha}, scale={scale}, "
                         f"input_scale={input_scale}")


@converts(A.Softplus)
def softplus(site):
    beta = float(site.args[1])
    g, x = site.g, site.input(0)
    if beta == 1:  # the threshold only avoids overflow: above it softplus(x) = x to float precision
        site.out("Softplus", [x])
        return
    scale = g.const(np.asarray(beta, dtype=site.dtype()), "beta")
    site.out("Div", [g.emit("Softplus", g.emit("Mul", [x, scale]))[0], scale])


@converts(A.LogSigmoid)
def log_sigmoid(site):
    g = site.g
    site.out("Neg", g.emit("Softplus", g.emit("Neg", [site.input(0)])))


@converts(A.Silu)
def silu(site):
    x = site.input(0)
    site.out("Mul", [x, site.g.emit("Sigmoid", [x])[0]])


@converts(A.Gelu)
def gelu(site):
    approximate = site.args[1]
    g, x, dtype = site.g, site.input(0), site.dtype()
    if site.g.opset >= 20:
        site.out("Gelu", [x], approximate=approximate)
        return
    half = g.const(np.asarray(0.5, dtype), "half")
    one = g.const(np.asarray(1.0, dtype), "one")
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.emit("Mul", [x, g.emit("Mul", [x, x])[0]])[0]
        inner = g.emit("Add", [x, g.emit("Mul", [cube, g.const(np.asarray(0.044715, dtype))])[0]])
        t = g.emit("Tanh", g.emit("Mul", inner + [g.const(np.asarray(math.sqrt(2 / math.pi), dtype))]))
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        t = g.emit("Erf", g.emit("Div", [x, g.const(np.asarray(math.sqrt(2.0), dtype))]))
    site.out("Mul", [g.emit("Mul", [x, half])[0], g.emit("Add", t + [one])[0]])


@converts(A.Softmax, A.LogSoftmax)
def softmax(site):
    kind = "Softmax" if site.call.op is A.Softmax else "LogSoftmax"
    site.out(kind, [site.input(0)], axis=int(site.args[1]))


@converts(S.Where)
def where(site):
    dtype = site.dtype()
    cond = site.input(0) if site.has(0) else site.g.const(np.asarray(site.args[0], bool), "mask")
    if site.has(0) and site.inputs[0].dtype != np.bool_:
        cond = site.cast(cond, np.bool_)
    site.out("Where", [cond, site.operand(1, dtype), site.operand(2, dtype)])
