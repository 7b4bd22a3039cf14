"""The problem protocol: an observation ``y`` and a linear forward model ``A``.

Every problem is an immutable pytree.  Its data fidelity is
``F(x) = ½ ‖A x − y‖²`` (sums over pixels and channels), and it solves the
regularised normal equations

    (μ I + ρ AᵀWA + Σᵢ wᵢ DᵢᵀDᵢ) x = b                                  (1)

are an operator of their own (:func:`normal_operator` builds it from the
problem, :func:`jaxreg.operators.solve_normal` solves it exactly where the
structure allows and by conjugate gradients otherwise): a problem holds only
its observation model.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass
from ..operators import LinearOperator
from ..operators.normal import NormalOperator


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

    @property
    def measurement_weights(self):
        """``W`` of the data term ``½‖W^½ (A x − y)‖²``: None (all measurements count) unless a subclass masks them."""
        return None


def normal_operator(problem: Problem, *, mu=0.0, rho=1.0, diff_weights=None, circular: bool = True) -> NormalOperator:
    """The normal operator ``μ I + ρ AᵀWA + Σᵢ wᵢ DᵢᵀDᵢ`` (1) of ``problem``'s observation model.

    ``diff_weights`` maps an image axis to ``wᵢ`` (differences along that axis, circular or Neumann by
    ``circular``).  Solve with :func:`jaxreg.operators.solve_normal`, which picks an exact transform-domain solve
    from the structure (``.structure``) or conjugate gradients.
    """
    return NormalOperator(tuple(problem.image_shape), op=problem.op, mu=mu, rho=rho,
                          diff_weights=dict(diff_weights or {}), weights=problem.measurement_weights,
                          circular=bool(circular))
