"""Problems whose forward model is the identity: denoising, JPEG artefacts, smoothing.

They differ in meaning (and in the methods that accept them), not in algebra:
``F(x) = ½‖x − y‖²`` and the normal equations (:mod:`jaxreg.operators.normal`) are diagonal in the DFT (circular differences) or in the DCT-II (Neumann differences,
the zero-flux boundary): both solves are exact.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._checks import as_float_array, check_nonnegative
from .._pytree import pytree_dataclass, set_fields
from ..operators import Identity
from .base import Problem

IMAGE_RANKS = (3, 4)


@pytree_dataclass(init=False)
class IdentityProblem(Problem):
    """Base of the identity-model problems; exact normal-equation solves: FFT with circular differences, DCT with Neumann."""

    def __init__(self, y):
        y = as_float_array(y, "observation y", ranks=IMAGE_RANKS)
        set_fields(self, y=y, op=Identity(tuple(y.shape)))


@pytree_dataclass(init=False)
class Denoise(IdentityProblem):
    """Gaussian denoising, ``y = x + n``; ``sigma`` (optional, [0, 1] scale) is the noise level if known."""

    sigma: float | None = None

    def __init__(self, y, sigma=None):
        check_nonnegative(sigma, "noise level sigma")
        super().__init__(y)
        set_fields(self, sigma=None if sigma is None else float(sigma))


@pytree_dataclass(init=False)
class JPEGArtifacts(IdentityProblem):
    """JPEG artefact removal with the identity fidelity ``½‖x − y‖²`` (as DIP-ℓ0); ``quality`` is informative."""

    quality: int | None = None

    def __init__(self, y, quality=None):
        if quality is not None and not 1 <= int(quality) <= 100:
            raise ValueError(f"JPEG quality must be in [1, 100], got {quality}")
        super().__init__(y)
        set_fields(self, quality=None if quality is None else int(quality))


@pytree_dataclass(init=False)
class Smooth(IdentityProblem):
    """Edge-preserving smoothing (texture removal) of ``y`` with the fidelity ``½‖x − y‖²``."""


__all__ = ["Denoise", "IdentityProblem", "JPEGArtifacts", "Smooth"]
