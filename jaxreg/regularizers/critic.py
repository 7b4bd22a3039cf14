"""A learned critic as a regulariser: ``R(x)``, the mean critic score over the patches of ``x`` (ALR).

Prost, Houdard, Almansa & Papadakis, "Learning local regularization for variational image restoration",
SSVM 2021, eq. (3)::

    R(x) = 1/|Ω_x| Σ_{x_i ∈ Ω_x} r_θ(x_i)

with ``r_θ`` a fully convolutional critic (:class:`jaxreg.nets.CriticCNN15`) whose receptive field is one patch.
Two ways of taking the mean (``patches``):

* ``"all"`` (default, the paper): every patch position.  The critic of the authors' code has a stride-3 layer,
  so its plain output covers only every third position; :func:`jaxreg.nets.critic.critic_scores` (``dense=True``) evaluates it at *all*
  positions in one pass by the à-trous rule — the strided layer runs with stride 1 and every later layer is
  dilated by the product of the earlier strides — which costs about 1.8× the strided pass, instead of the 9× of
  nine shifted evaluations.
* ``"grid"`` (the code, ``R(x).mean()``): the critic's own strided output, a stride-3 lattice of patches.

For a critic with a stride-1 stack the two are identical.  A one-channel image is fed to a three-channel critic
as grey RGB (the channel repeated), so the same critic serves grey images.

:class:`LearnedCritic` is a pytree: the network configuration is static, the parameters are leaves, so it can be
a field of a method config and travel through ``jit``/``vmap``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass, set_fields, static
from ..nets import weights as checkpoint
from ..nets.critic import CriticCNN15, critic_scores

PATCH_MODES = ("all", "grid")
SHIPPED = Path(__file__).resolve().parents[1] / "weights" / "alr_cnn15.msgpack"


def critic_module(config: dict) -> CriticCNN15:
    """The :class:`CriticCNN15` described by a checkpoint's ``config["network"]``."""
    net = dict(config.get("network", {}))
    if net.pop("name", "CriticCNN15") != "CriticCNN15":
        raise ValueError(f"unsupported critic network {config['network'].get('name')!r} (expected CriticCNN15)")
    if net.get("features") is not None:
        net["features"] = tuple(net["features"])
    return CriticCNN15(**net)


def network_config(module: CriticCNN15) -> dict:
    """JSON-ready description of ``module`` (inverse of :func:`critic_module`)."""
    return {"name": "CriticCNN15", "variant": module.variant,
            "features": None if module.features is None else list(module.features),
            "in_channels": module.in_channels, "weight_init": module.weight_init}


@pytree_dataclass(init=False)
class LearnedCritic(Pytree):
    """A trained critic ``r_θ``: network configuration (static) and parameters (leaves).

    Build one with :meth:`from_params`, :meth:`load` (a checkpoint written by :meth:`save` or ``jaxreg
    train-critic``) or :func:`shipped_critic`.
    """

    params: dict = None
    config_json: str = static(default="{}")
    patches: str = static(default="all")

    def __init__(self, params, config: dict, patches: str = "all"):
        if patches not in PATCH_MODES:
            raise ValueError(f"LearnedCritic: patches must be one of {PATCH_MODES}, got {patches!r}")
        module = critic_module(config)
        want = jax.eval_shape(module.init, jax.random.key(0),
                              jnp.zeros((1, 32, 32, module.in_channels or 3), jnp.float32))["params"]
        have = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(jnp.shape(a), jnp.asarray(a).dtype), params)
        if jax.tree_util.tree_structure(want) != jax.tree_util.tree_structure(have) or any(
                tuple(a.shape) != tuple(b.shape) for a, b in zip(jax.tree_util.tree_leaves(want),
                                                                  jax.tree_util.tree_leaves(have))):
            raise ValueError("LearnedCritic: the parameters do not fit the configured network "
                             f"{config.get('network')} (different layers or shapes)")
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
        set_fields(self, params=params, config_json=json.dumps(config, sort_keys=True), patches=patches)

    # -- construction / persistence --------------------------------------------------------------
    @classmethod
    def from_params(cls, module: CriticCNN15, params, patches: str = "all", **info):
        """Wrap ``params`` of ``module`` (a ``{"conv0": ...}`` tree, or ``{"params": {...}}``); ``info`` is
        stored in the configuration (training data, steps, σ range, ...)."""
        params = params.get("params", params)
        return cls(params, {"network": network_config(module), **info}, patches)

    @classmethod
    def load(cls, path, patches: str = "all"):
        """Read a checkpoint (``ValueError`` for a truncated, corrupted or foreign file)."""
        params, config = checkpoint.load(path)
        if "network" not in config:
            raise ValueError(f"{str(path)!r}: the checkpoint configuration has no 'network' entry")
        return cls(params, config, patches)

    def save(self, path) -> None:
        """Write the parameters and configuration to ``path`` (msgpack; see :mod:`jaxreg.nets.weights`)."""
        checkpoint.save(path, self.params, self.config)

    def with_patches(self, patches: str) -> "LearnedCritic":
        """The same critic averaging over ``"all"`` patches or the ``"grid"``."""
        return LearnedCritic(self.params, self.config, patches)

    # -- evaluation --------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        return json.loads(self.config_json)

    @property
    def module(self) -> CriticCNN15:
        return critic_module(self.config)

    @property
    def in_channels(self) -> int:
        return self.module.in_channels or 3

    @property
    def receptive_field(self) -> int:
        return self.module.receptive_field()

    def check_image(self, shape, owner: str = "critic") -> None:
        """Eager check that an ``(H, W, C)`` image can be scored."""
        if len(shape) != 3:
            raise ValueError(f"{owner}: the critic scores (H, W, C) images, got shape {tuple(shape)}")
        c = shape[-1]
        if c != self.in_channels and not (c == 1 and self.in_channels == 3):
            raise ValueError(f"{owner}: the critic takes {self.in_channels}-channel images"
                             + (" (or grey ones)" if self.in_channels == 3 else "") + f", got {c} channels")
        f = self.receptive_field
        if min(shape[:2]) < f:
            raise ValueError(f"{owner}: image {shape[0]}×{shape[1]} is smaller than the critic's {f}×{f} patch")

    def _batch(self, x):
        x = x[None] if x.ndim == 3 else x
        if x.shape[-1] == 1 and self.in_channels == 3:
            x = jnp.repeat(x, 3, axis=-1)
        return x

    def score_map(self, x):
        """Per-patch scores ``r_θ(x_i)``: ``(H', W')`` for an ``(H, W, C)`` image (``(N, H', W')`` for a batch)."""
        xb = self._batch(x)
        if self.patches == "all":
            out = critic_scores(self.module.layers(), self.params, xb, dense=True)
        else:
            out = self.module.apply({"params": self.params}, xb)
        return out[0] if x.ndim == 3 else out

    def __call__(self, x):
        """``R(x)``: the mean patch score (per image for a batch)."""
        return jnp.mean(self.score_map(x), axis=(-2, -1))


@functools.lru_cache(maxsize=4)
def _read_shipped(path: str, patches: str):
    return LearnedCritic.load(path, patches)


def shipped_critic(patches: str = "all") -> LearnedCritic:
    """The critic that ships with jaxreg (``jaxreg/weights/alr_cnn15.msgpack``; data and training: ``docs/alr.md``)."""
    if not SHIPPED.is_file():
        raise FileNotFoundError(f"the shipped ALR critic {str(SHIPPED)!r} is missing from this installation "
                                "(reinstall jaxreg, or train one with `jaxreg train-critic`)")
    return _read_shipped(str(SHIPPED), patches)
