"""The problem protocol: an observation ``y`` and a linear forward model ``A``.

Every problem is an immutable pytree.  Its data fidelity is
``F(x) = ½ ‖A x − y‖²`` (sums over pixels and channels), and it solves the
regularised normal equations

    (μ I + ρ AᵀA + Σᵢ wᵢ DᵢᵀDᵢ) x = b                                   (1)

exactly where the structure allows (see :meth:`Problem.solve_normal`) and by
conjugate gradients otherwise, so that methods written later only supply
their own updates.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass
from ..operators import LinearOperator, conjugate_gradient, difference, difference_adjoint


@pytree_dataclass(init=False)
class Problem(Pytree):
    """Base class: observation ``y`` and forward operator ``op`` (both pytree leaves)."""

    y: jnp.ndarray = None
    op: LinearOperator = None

    # -- forward model --------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple:
        """Shape of the unknown image ``x``."""
        return self.op.in_shape

    def forward(self, x):
        """``A x``."""
        return self.op.apply(x)

    def adjoint(self, r):
        """``Aᵀ r``."""
        return self.op.adjoint(r)

    def residual(self, x):
        """``A x − y``."""
        return self.forward(x) - self.y

    def data_fidelity(self, x):
        """``½ ‖A x − y‖²``."""
        r = self.residual(x)
        return 0.5 * jnp.sum(r * r)

    def data_grad(self, x):
        """``∇F(x) = Aᵀ(A x − y)``."""
        return self.adjoint(self.residual(x))

    def initial_image(self):
        """A starting image: ``Aᵀy`` (the observation itself for ``A = I``)."""
        return self.adjoint(self.y)

    def normal(self, x):
        """``AᵀA x``."""
        return self.op.normal(x)

    # -- normal equations (1) ---------------------------------------------------------------------
    def normal_solve_is_exact(self, diff_weights=None, circular: bool = True) -> bool:
        """Whether :meth:`solve_normal` is exact (static: depends on structure, not values)."""
        return False

    def normal_matvec(self, x, mu=0.0, rho=1.0, diff_weights=None, circular: bool = True):
        """``(μ I + ρ AᵀA + Σ wᵢ DᵢᵀDᵢ) x``."""
        out = mu * x + rho * self.normal(x)
        for axis, w in (diff_weights or {}).items():
            out = out + w * difference_adjoint(difference(x, axis, circular), axis, circular)
        return out

    def solve_normal(self, b, mu=0.0, rho=1.0, diff_weights=None, *, circular: bool = True,
                     x0=None, cg_iters: int = 100, cg_tol: float = 1e-6):
        """Solve (1) for ``x``.

        ``diff_weights`` maps an image axis to ``wᵢ`` (differences along that
        axis, circular or not).  Subclasses override this with an exact
        transform-domain solve where (1) is diagonalisable; this default runs
        conjugate gradients (warm-started at ``x0``) for at most ``cg_iters``
        steps to relative residual ``cg_tol``.
        """
        matvec = lambda v: self.normal_matvec(v, mu, rho, diff_weights, circular)  # noqa: E731
        return conjugate_gradient(matvec, b, x0, max_iters=cg_iters, tol=cg_tol)
