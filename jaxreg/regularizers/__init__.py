"""Regularisers: total variation and ℓ0 gradient minimisation (norms, proximal maps, smoothers)."""

from .l0 import l0_iteration, l0_smooth, l0_threshold, num_l0_iterations
from .tv import (gradient, gradient_adjoint, group_soft_threshold, shrink, soft_threshold, tv_norm,
                 tv_of_gradient)

__all__ = ["gradient", "gradient_adjoint", "group_soft_threshold", "l0_iteration", "l0_smooth", "l0_threshold",
           "num_l0_iterations", "shrink", "soft_threshold", "tv_norm", "tv_of_gradient"]
from .priors import PRIORS, BM3DPrior, L0Prior, Prior, TVPrior, get_prior, register_prior  # noqa: E402

__all__ += ["BM3DPrior", "L0Prior", "PRIORS", "Prior", "TVPrior", "get_prior", "register_prior"]
