"""The regularised normal equations as an operator, and one solver that reads their structure.

Every quadratic step of a jaxreg method (a Tikhonov solve, the x-update of ADMM, the S-update of ℓ0 smoothing,
the data step of plug-and-play) solves

    M x = b,      M = μ I + ρ AᵀWA + Σᵢ wᵢ DᵢᵀDᵢ                                            (1)

with ``A`` the forward operator of the problem, ``W`` optional 0/1 weights on its measurements (compressive
sensing's mask; ``W = I`` otherwise) and ``Dᵢ`` forward differences along image axis ``i``, circular or with the
zero-flux (Neumann) boundary.  :class:`NormalOperator` holds these named terms (``mu``, ``rho``, ``op``,
``weights``, ``diff_weights``, ``circular``); :func:`solve_normal` picks the solver from the structure alone
(static: the operator's type, which terms are present, the boundary), as Lineax picks a solver from an
operator's tags:

    ==================================  ===================================  =====================================
    A                                   difference terms                     solver (``structure``)
    ==================================  ===================================  =====================================
    identity                            none                                 ``"scalar"``: b / (μ + ρ)
    identity                            circular                             ``"fft"``: diagonal in the DFT
    identity                            Neumann                              ``"dct"``: diagonal in the DCT-II
    mask                                none                                 ``"diagonal"``: b / (μ + ρ m)
    circular convolution                none or circular                     ``"fft"``
    subsampled Hadamard (any W)         none                                 ``"hadamard"``: diagonal after H
    circular decimation (S K)           none or circular                     ``"polyphase"``: Zhao et al. 2016
    anything else                                                            ``"cg"``: conjugate gradients
    ==================================  ===================================  =====================================

A new operator joins the exact solvers with :func:`register_normal_solver`.  Singular diagonal systems (μ = 0
and a zero of ``ρ AᵀWA + Σ wᵢ DᵢᵀDᵢ``) get the minimum-norm solution (0 on the null frequencies).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass, static
from .base import Identity, LinearOperator
from .cg import conjugate_gradient
from .compressive import SubsampledHadamard, fwht
from .dct import neumann_symbol, solve_diagonal_dct
from .differences import difference, difference_adjoint
from .fourier import CircularConvolution, difference_symbol, solve_diagonal_fft
from .mask import Mask
from .resample import Decimation, polyphase_solve

STRUCTURES = ("scalar", "diagonal", "fft", "dct", "hadamard", "polyphase", "cg")


def safe_divide(b, den):
    """``b / den`` with 0 where ``den = 0`` (the minimum-norm solution of a singular diagonal system)."""
    return jnp.where(den > 0, b / jnp.where(den > 0, den, 1.0), 0.0).astype(b.dtype)


@pytree_dataclass
class NormalOperator(LinearOperator):
    """``M = μ I + ρ AᵀWA + Σᵢ wᵢ DᵢᵀDᵢ`` (1), symmetric positive semi-definite, with named terms.

    ``op`` is ``A``; ``weights`` is ``W`` (an array broadcasting against ``A x``, or None for ``W = I``);
    ``diff_weights`` maps an image axis to ``wᵢ`` (``{}`` for none); ``circular`` (static) chooses circular or
    Neumann differences.  ``mu``, ``rho``, ``weights`` and the ``wᵢ`` are leaves (they may be traced, swept,
    vmapped); which terms are present is structure.  Build one from a problem with
    :func:`jaxreg.problems.normal_operator`.
    """

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        kernel = jax.random.uniform(key, (3, 3)) + 0.1
        return cls(tuple(shape), op=CircularConvolution(kernel, tuple(shape)), mu=0.3, rho=2.0,
                   diff_weights={0: 0.5, 1: 0.25}, circular=False)

    op: LinearOperator = None
    mu: float = 0.0
    rho: float = 1.0
    diff_weights: dict = None
    weights: jnp.ndarray = None
    circular: bool = static(default=True)

    @property
    def differences(self) -> dict:
        """``{axis: wᵢ}`` (empty when there is no difference term)."""
        return self.diff_weights or {}

    def gram(self, x):
        """``AᵀWA x``."""
        ax = self.op.apply(x)
        return self.op.adjoint(ax if self.weights is None else self.weights.astype(ax.dtype) * ax)

    def apply(self, x):
        """``M x`` (1)."""
        out = self.mu * x + self.rho * self.gram(x)
        for axis, w in self.differences.items():
            out = out + w * difference_adjoint(difference(x, axis, self.circular), axis, self.circular)
        return out

    def adjoint(self, y):
        return self.apply(y)  # M is symmetric

    @property
    def structure(self) -> str:
        """The solver :func:`solve_normal` uses (static), one of :data:`STRUCTURES`."""
        found = _exact_rule(self)
        return "cg" if found is None else found[0]

    @property
    def is_exact(self) -> bool:
        """Whether :func:`solve_normal` solves (1) exactly (in a transform domain), not by conjugate gradients."""
        return self.structure != "cg"


# -- exact solvers by the structure of A ---------------------------------------------------------------------------
# A rule takes the operator and returns (structure name, solve: b -> x), or None when (1) is not diagonal in a fast
# transform for this combination of terms.  Rules read only static facts (types, term presence, boundaries).

def _identity(m: NormalOperator):
    if m.weights is not None:
        return None
    d = m.differences
    if not d:
        return "scalar", lambda b: b / (m.mu + m.rho)
    if m.circular:
        return "fft", lambda b: solve_diagonal_fft(b, m.mu + m.rho + difference_symbol(b.shape, d))
    return "dct", lambda b: solve_diagonal_dct(b, m.mu + m.rho + neumann_symbol(b.shape, d))


def _mask(m: NormalOperator):
    if m.weights is not None or m.differences:
        return None
    return "diagonal", lambda b: safe_divide(b, m.mu + m.rho * m.op.mask)


def _circular_convolution(m: NormalOperator):
    if m.weights is not None or (m.differences and not m.circular):
        return None
    return "fft", lambda b: solve_diagonal_fft(
        b, m.mu + m.rho * m.op.symbol() + difference_symbol(b.shape, m.differences))


def _hadamard(m: NormalOperator):
    # AᵀWA = H SᵀWS H with SᵀWS the weights scattered to the measured rows: diagonal in the Hadamard domain.
    if m.differences or len(m.op.in_shape) != 3:
        return None

    def solve(b):
        h, w, c = m.op.in_shape
        coeffs = fwht(b.reshape(h * w, c))
        return fwht(safe_divide(coeffs, m.mu + m.rho * m.op.sampled_fraction(m.weights))).reshape(b.shape)
    return "hadamard", solve


def _decimation(m: NormalOperator):
    if m.op.boundary != "circular" or m.weights is not None or (m.differences and not m.circular):
        return None
    return "polyphase", lambda b: polyphase_solve(
        b, m.op.otf, m.op.factor, m.mu + difference_symbol(b.shape, m.differences), m.rho)


_RULES: dict = {Identity: _identity, Mask: _mask, CircularConvolution: _circular_convolution,
                SubsampledHadamard: _hadamard, Decimation: _decimation}


def register_normal_solver(op_type: type, rule: Callable) -> None:
    """Teach :func:`solve_normal` an exact solve for ``AᵀWA`` of operators of ``op_type`` (and subclasses).

    ``rule(M)`` returns ``(structure, solve)`` with ``solve(b) -> x`` solving (1) for this ``M``, or None when the
    combination of terms in ``M`` is not exactly solvable (then conjugate gradients run).  It must decide from
    static facts only (types, which terms are present, boundaries), never from leaf values.
    """
    if not (isinstance(op_type, type) and issubclass(op_type, LinearOperator)):
        raise ValueError(f"op_type must be a LinearOperator subclass, got {op_type!r}")
    if not callable(rule):
        raise ValueError(f"rule must be callable, got {type(rule).__name__}")
    _RULES[op_type] = rule


def _exact_rule(m: NormalOperator):
    for klass in type(m.op).__mro__:
        if klass in _RULES:
            return _RULES[klass](m)
    return None


def solve_normal(m: NormalOperator, b, *, x0=None, method: str = "auto", cg_iters: int = 100,
                 cg_tol: float = 1e-6):
    """Solve ``M x = b`` (1).

    ``method="auto"`` uses the exact transform-domain solve the structure allows (``m.structure``) and conjugate
    gradients (Hestenes & Stiefel 1952) otherwise; ``method="cg"`` forces conjugate gradients (warm-started at
    ``x0``, at most ``cg_iters`` steps, relative residual ``cg_tol``).  ``x0`` and the CG settings are ignored by
    the exact solves.
    """
    if not isinstance(m, NormalOperator):
        raise ValueError(f"solve_normal needs a NormalOperator, got {type(m).__name__}")
    if method not in ("auto", "cg"):
        raise ValueError(f"method must be 'auto' or 'cg', got {method!r}")
    if tuple(b.shape) != tuple(m.in_shape):
        raise ValueError(f"right-hand side has shape {tuple(b.shape)}, the normal operator acts on {m.in_shape}")
    found = _exact_rule(m) if method == "auto" else None
    if found is not None:
        return found[1](b)
    return conjugate_gradient(m.apply, b, x0, max_iters=cg_iters, tol=cg_tol)


__all__ = ["NormalOperator", "STRUCTURES", "register_normal_solver", "safe_divide", "solve_normal"]
