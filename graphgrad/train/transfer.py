"""Reusing a trained network: freeze and unfreeze parts of it, replace its head, give each part its
own learning rate; few-shot classification by nearest class prototype (Snell et al. 2017); and
zero-shot classification by convex combination of class embeddings (ConSE, Norouzi et al. 2014)."""
from __future__ import annotations

import numpy as np

from .. import nn


def _modules(model, names):
    """The submodules named in ``names`` (None: the model itself)."""
    if names is None:
        return [model]
    table = dict(model.named_modules())
    out = []
    for n in [names] if isinstance(names, str) else names:
        if n not in table:
            raise KeyError(f"no module named {n!r} in {type(model).__name__}; children are "
                           f"{[c for c, _ in model.named_children()]}")
        out.append(table[n])
    return out


def freeze(model, names=None):
    """Stop training ``model`` (or its submodules ``names``): parameters get ``requires_grad=False``
    and BatchNorm layers inside keep their running statistics (eval mode). Returns ``model``."""
    for m in _modules(model, names):
        m.requires_grad_(False)
        for sub in m.modules():
            if "BatchNorm" in type(sub).__name__ and getattr(sub, "_freeze_hook", None) is None:
                # a pre-hook, so that a later model.train() cannot switch it back
                sub._freeze_hook = sub.register_forward_pre_hook(_keep_eval)
                sub.eval()
    return model


def _keep_eval(module, args):
    module.training = False


def unfreeze(model, names=None):
    """Undo ``freeze``: parameters train again and BatchNorm follows the model's mode."""
    for m in _modules(model, names):
        m.requires_grad_(True)
        for sub in m.modules():
            if getattr(sub, "_freeze_hook", None) is not None:
                sub._freeze_hook.remove()
                sub._freeze_hook = None
                sub.train(model.training)
    return model


def trainable_parameters(model) -> list:
    """The parameters that still require grad (pass these to the optimizer after ``freeze``)."""
    return [p for p in model.parameters() if p.requires_grad]


def _find_head(model):
    last = None
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            last = name
    if last is None:
        raise ValueError(f"replace_head: {type(model).__name__} has no Linear layer; name the head")
    return last


def replace_head(model, num_classes: int, name: str | None = None, head=None):
    """Replace the classifier layer ``name`` (default: the last ``nn.Linear``) by a fresh
    ``Linear(in_features, num_classes)`` (or by ``head``). Returns the new head module."""
    name = name or _find_head(model)
    parent_name, _, attr = name.rpartition(".")
    parent = dict(model.named_modules())[parent_name] if parent_name else model
    old = getattr(parent, attr) if not attr.isdigit() else parent[int(attr)]
    if head is None:
        if not isinstance(old, nn.Linear):
            raise ValueError(f"replace_head: {name!r} is a {type(old).__name__}, not a Linear; "
                             "pass head=... to replace it")
        head = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    if attr.isdigit():
        parent[int(attr)] = head
    else:
        setattr(parent, attr, head)
    return head


def param_groups(model, lrs: dict, default_lr: float | None = None) -> list:
    """Optimizer parameter groups with a learning rate per submodule for fine-tuning, e.g.
    ``param_groups(model, {"features": 1e-4, "classifier": 1e-2})``. Parameters of no named
    submodule go into a last group with ``default_lr`` (left out if None). Frozen parameters
    (requires_grad False) are skipped, and so are groups left empty."""
    groups, claimed = [], set()
    for name, lr in lrs.items():
        (module,) = _modules(model, [name])
        params = [p for p in module.parameters() if p.requires_grad and id(p) not in claimed]
        claimed.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "lr": float(lr), "name": name})
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in claimed]
    if rest and default_lr is not None:
        groups.append({"params": rest, "lr": float(default_lr), "name": "rest"})
    if not groups:
        raise ValueError("param_groups: no trainable parameters in the named modules")
    return groups


# ------------------------------------------------------------------------- few-shot
def class_prototypes(embeddings, labels):
    """Mean embedding per class: ``(classes (K,), prototypes (K, D))`` from (N, D) and (N,)."""
    e, y = np.asarray(embeddings, dtype=np.float64), np.asarray(labels)
    classes = np.unique(y)
    return classes, np.stack([e[y == c].mean(axis=0) for c in classes])


def nearest_prototype(embeddings, classes, prototypes, metric: str = "euclidean") -> np.ndarray:
    """The class of the nearest prototype for each embedding (N, D): squared Euclidean distance,
    or ``metric="cosine"``."""
    e = np.asarray(embeddings, dtype=np.float64)
    p = np.asarray(prototypes, dtype=np.float64)
    if metric == "cosine":
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        return np.asarray(classes)[(e @ p.T).argmax(axis=1)]
    if metric != "euclidean":
        raise ValueError(f"nearest_prototype: metric must be 'euclidean' or 'cosine', got {metric!r}")
    d = (e ** 2).sum(1)[:, None] - 2 * e @ p.T + (p ** 2).sum(1)[None, :]
    return np.asarray(classes)[d.argmin(axis=1)]


# ------------------------------------------------------------------------ zero-shot
class ConSE:
    """Zero-shot classification by convex combination of semantic embeddings.

    A classifier trained on the seen classes gives probabilities p (N, S). The image's semantic
    embedding is ``sum_{t in top T} p_t s_t / sum p_t`` over its ``top_k`` seen classes, with ``s_t``
    the seen classes' embeddings (word vectors, attribute vectors); it is labelled with the unseen
    class whose embedding is nearest by cosine similarity.
    """

    def __init__(self, seen_embeddings, unseen_embeddings, top_k: int = 3):
        self.seen = np.asarray(seen_embeddings, dtype=np.float64)
        self.unseen = np.asarray(unseen_embeddings, dtype=np.float64)
        if self.seen.ndim != 2 or self.unseen.ndim != 2 or self.seen.shape[1] != self.unseen.shape[1]:
            raise ValueError(f"ConSE: embeddings must be (classes, D) with the same D, got "
                             f"{self.seen.shape} and {self.unseen.shape}")
        if not 1 <= top_k <= len(self.seen):
            raise ValueError(f"ConSE: top_k must be in 1..{len(self.seen)}, got {top_k}")
        self.top_k = int(top_k)

    def embed(self, probs) -> np.ndarray:
        """(N, D): the convex combination of the top-k seen class embeddings."""
        p = np.asarray(probs, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != len(self.seen):
            raise ValueError(f"ConSE: probabilities must be (N, {len(self.seen)}), got {p.shape}")
        top = np.argsort(-p, axis=1, kind="stable")[:, :self.top_k]
        w = np.take_along_axis(p, top, axis=1)
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        return np.einsum("nt,ntd->nd", w, self.seen[top])

    def predict(self, probs) -> np.ndarray:
        """Index into the unseen classes (N,) of the nearest unseen embedding (cosine)."""
        e = self.embed(probs)
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        u = self.unseen / np.maximum(np.linalg.norm(self.unseen, axis=1, keepdims=True), 1e-12)
        return (e @ u.T).argmax(axis=1)
