"""Regularisers: total variation and ℓ0 gradient minimisation (norms, proximal maps, smoothers)."""

from .l0 import l0_iteration, l0_smooth, l0_threshold, num_l0_iterations
from .region_fusion import count_jumps, l0_energy, region_fusion
from .tv import (gradient, gradient_adjoint, group_soft_threshold, shrink, soft_threshold, tv_norm,
                 tv_of_gradient)

__all__ = ["count_jumps", "gradient", "gradient_adjoint", "group_soft_threshold", "l0_energy", "l0_iteration",
           "l0_smooth", "l0_threshold", "num_l0_iterations", "region_fusion", "shrink", "soft_threshold", "tv_norm",
           "tv_of_gradient"]
from .priors import PRIORS, BM3DPrior, L0Prior, Prior, TVPrior, get_prior, register_prior  # noqa: E402

__all__ += ["BM3DPrior", "L0Prior", "PRIORS", "Prior", "TVPrior", "get_prior", "register_prior"]
from .deep_priors import DIPPrior  # noqa: E402

__all__ += ["DIPPrior"]
