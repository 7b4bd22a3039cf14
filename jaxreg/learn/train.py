"""Critic training: Adam on the WGAN-GP loss, the whole loop compiled (ALR, Prost et al. SSVM 2021, §3.2).

:func:`fit_critic` is the generic loop: two samplers ``(key, batch, data) -> samples`` (clean and degraded, drawn
independently, so the streams are unpaired; ``data`` is any pytree, such as image banks, passed to the compiled
loop as an argument rather than baked into it as a constant), a critic ``apply``, and Adam (β 0.9/0.999) whose learning rate
decays exponentially from ``lr`` at the first step to ``lr_end`` at the last (the paper: 1e-3 → 1e-4; the
code decays per epoch).  Chunks of ``chunk`` steps run as one ``lax.scan`` inside ``jit``; the host only
prints progress between chunks.  Everything random comes from ``key``: the same key gives the same critic.

:func:`train_patch_critic` feeds it patches: clean crops from an :class:`~jaxreg.learn.patches.ImageBank`, and
degraded crops from a second bank or the clean stream passed through a degradation (default: Gaussian noise
with σ ~ U[0.05, 0.30] per patch, the paper's range).
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np
import jax
import jax.numpy as jnp
import optax

from .._schedules import exponential_decay
from ..nets.critic import CriticCNN15, critic_scores
from .patches import ImageBank, check_patch_size, gaussian_noise, sample_patches
from .wgan_gp import critic_loss


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """``params`` (the trained critic), ``history`` (per step: ``loss``, ``wasserstein``, ``gp``,
    ``grad_norm``, ``lr``; NumPy), ``timings`` (``compile_s``, ``run_s``) and ``settings``."""

    params: dict
    history: dict
    timings: dict
    settings: dict


def _check_settings(steps, batch, lr, lr_end, mu, chunk):
    for name, v in (("steps", steps), ("batch", batch), ("chunk", chunk)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    for name, v in (("lr", lr), ("lr_end", lr_end)):
        if not v > 0:
            raise ValueError(f"{name} must be positive, got {v!r}")
    if not mu >= 0:
        raise ValueError(f"mu (gradient-penalty weight) must be non-negative, got {mu!r}")


def lr_schedule(lr: float, lr_end: float, steps: int):
    """``lr · (lr_end/lr)^(t/(steps−1))``: ``lr`` at the first step, ``lr_end`` at the last."""
    return exponential_decay(lr, lr_end, steps)


def fit_critic(key, apply, params, sample_clean, sample_degraded, *, steps: int, data=None, batch: int = 32,
               lr: float = 1e-3, lr_end: float = 1e-4, mu: float = 5.0, chunk: int = 500,
               progress: bool = False) -> TrainResult:
    """Train ``params`` of ``apply`` as a WGAN-GP critic between the two sample streams (module docstring)."""
    _check_settings(steps, batch, lr, lr_end, mu, chunk)
    chunk = min(int(chunk), int(steps))
    schedule = lr_schedule(lr, lr_end, steps)
    opt = optax.adam(schedule, b1=0.9, b2=0.999, eps=1e-8)
    grad_fn = jax.value_and_grad(critic_loss, has_aux=True)

    def one_step(carry, data):
        params, opt_state, key, t = carry

        def update(args):
            params, opt_state, key = args
            key, k_c, k_n, k_a = jax.random.split(key, 4)
            clean, degraded = sample_clean(k_c, batch, data), sample_degraded(k_n, batch, data)
            alpha = jax.random.uniform(k_a, (batch,))
            (loss, aux), grads = grad_fn(params, apply, clean, degraded, alpha, mu)
            updates, opt_state = opt.update(grads, opt_state, params)
            record = {"loss": loss, **aux, "lr": jnp.asarray(schedule(t), jnp.float32)}
            return (optax.apply_updates(params, updates), opt_state, key), record

        def skip(args):
            zero = jnp.zeros((), jnp.float32)
            return args, {"loss": zero, "wasserstein": zero, "gp": zero, "grad_norm": zero, "lr": zero}

        (params, opt_state, key), record = jax.lax.cond(t < steps, update, skip, (params, opt_state, key))
        return (params, opt_state, key, t + 1), record

    @jax.jit
    def run_chunk(carry, data):
        return jax.lax.scan(lambda c, _: one_step(c, data), carry, None, length=chunk)

    carry = (params, opt.init(params), key, jnp.asarray(0, jnp.int32))
    t0 = time.perf_counter()
    compiled = run_chunk.lower(carry, data).compile()
    compile_s = time.perf_counter() - t0
    records, t_run = [], time.perf_counter()
    n_chunks = -(-int(steps) // chunk)
    for i in range(n_chunks):
        carry, rec = compiled(carry, data)
        rec = jax.tree_util.tree_map(np.asarray, rec)
        records.append(rec)
        if progress:
            done = min((i + 1) * chunk, steps)
            last = {k: float(v[min(chunk, steps - i * chunk) - 1]) for k, v in rec.items()}
            print(f"  step {done:>7d}/{steps}  loss {last['loss']:+.4f}  W {last['wasserstein']:.4f}  "
                  f"gp {last['gp']:.4f}  lr {last['lr']:.2e}  ({time.perf_counter() - t_run:.0f} s)",
                  file=sys.stderr, flush=True)
    jax.block_until_ready(carry)
    run_s = time.perf_counter() - t_run
    history = {k: np.concatenate([r[k] for r in records])[:steps] for k in records[0]}
    settings = {"steps": int(steps), "batch": int(batch), "lr": float(lr), "lr_end": float(lr_end), "mu": float(mu)}
    return TrainResult(params=carry[0], history=history, timings={"compile_s": compile_s, "run_s": run_s},
                       settings=settings)


def train_patch_critic(key, clean: ImageBank, *, module: CriticCNN15 | None = None, degraded: ImageBank | None = None,
                       degrade=None, sigma=(0.05, 0.30), patch_size: int | None = None, flips: str = "both",
                       steps: int = 100_000, batch: int = 32, lr: float = 1e-3, lr_end: float = 1e-4,
                       mu: float = 5.0, chunk: int = 500, progress: bool = False) -> TrainResult:
    """Train a patch critic (default: the authors' ``cnn15``) on clean vs degraded patches.

    Degraded patches come from ``degraded`` (a bank of degraded images: unpaired, nothing synthetic), else from
    ``degrade(key, clean_patches)`` on an independent clean stream, else Gaussian noise of ``sigma`` (a number,
    or a range ``(a, b)`` drawn per patch).  ``patch_size`` defaults to the critic's receptive field (13 for
    ``cnn15``; the code crops 15, whose last 2 rows and columns the network never sees, so the two train the
    same critic).  Returns a :class:`TrainResult` whose ``params`` are ``{"conv0": ...}``.
    """
    module = module or CriticCNN15()
    if not isinstance(clean, ImageBank):
        raise ValueError(f"clean must be an ImageBank, got {type(clean).__name__}")
    if degraded is not None and degrade is not None:
        raise ValueError("give either degraded images or a degrade function, not both")
    size = int(patch_size or module.receptive_field())
    if size < module.receptive_field():
        raise ValueError(f"patch_size {size} is smaller than the critic's receptive field {module.receptive_field()}")
    channels = module.in_channels or clean.channels
    check_patch_size(clean, size, "clean images")
    if clean.channels != channels:
        raise ValueError(f"the clean images have {clean.channels} channels, the critic takes {channels}")
    if degraded is not None:
        check_patch_size(degraded, size, "degraded images")
        if degraded.channels != channels:
            raise ValueError(f"the degraded images have {degraded.channels} channels, the critic takes {channels}")
    noise = None
    if degraded is None and degrade is None:
        degrade = noise = gaussian_noise(sigma)
    k_init, k_train = jax.random.split(key)
    params = module.init(k_init, jnp.zeros((1, size, size, channels), jnp.float32))["params"]
    layers = module.layers()

    def apply(p, z):  # = module.apply({"params": p}, z), as matrix products (fast in the loop: critic_scores)
        return critic_scores(layers, p, z, im2col=True)

    def sample_clean(k, n, banks):
        return sample_patches(k, banks["clean"], n, size, flips)

    if degraded is not None:
        def sample_degraded(k, n, banks):
            return sample_patches(k, banks["degraded"], n, size, flips)
    else:
        def sample_degraded(k, n, banks):
            k_p, k_d = jax.random.split(k)
            return degrade(k_d, sample_clean(k_p, n, banks))

    banks = {"clean": clean, "degraded": degraded} if degraded is not None else {"clean": clean}
    result = fit_critic(k_train, apply, params, sample_clean, sample_degraded, steps=steps, data=banks,
                        batch=batch, lr=lr, lr_end=lr_end, mu=mu, chunk=chunk, progress=progress)
    settings = dict(result.settings, patch_size=size, flips=flips,
                    degradation=("images" if degraded is not None else
                                 {"gaussian_sigma": list(noise.sigma)} if noise is not None else "custom"),
                    clean_images=list(clean.names),
                    degraded_images=list(degraded.names) if degraded is not None else None)
    return dataclasses.replace(result, settings=settings)
