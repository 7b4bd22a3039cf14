"""Restoration problems: an observation and its forward model, validated at construction."""

from .base import Problem, normal_operator
from .identity import Denoise, IdentityProblem, JPEGArtifacts, Smooth
from .linear import CompressiveSensing, Deblur, Inpaint, SuperResolution

__all__ = ["CompressiveSensing", "Deblur", "Denoise", "IdentityProblem", "Inpaint", "JPEGArtifacts", "Problem",
           "Smooth", "SuperResolution", "normal_operator"]
