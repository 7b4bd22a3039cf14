"""Learning regularisers from data: patch streams, the WGAN-GP critic objective, the compiled training loop,
and checkpoints (ALR, Prost et al. SSVM 2021; ``docs/alr.md``)."""

from ..nets import weights as checkpoint  # the network parameter files (kept under this name too)
from .patches import ImageBank, gaussian_noise, parse_sigma, sample_patches
from .train import TrainResult, fit_critic, lr_schedule, train_patch_critic
from .wgan_gp import critic_loss, gradient_penalty, input_gradient_norms, interpolate, sample_scores

__all__ = ["ImageBank", "TrainResult", "checkpoint", "critic_loss", "fit_critic", "gaussian_noise",
           "gradient_penalty", "input_gradient_norms", "interpolate", "lr_schedule", "parse_sigma",
           "sample_patches", "sample_scores", "train_patch_critic"]
