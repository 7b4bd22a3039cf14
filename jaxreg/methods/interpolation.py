"""Interpolation baselines for super-resolution: the image every SR table starts from.

``bicubic`` enlarges the low-resolution observation by Keys' cubic convolution (``a = −0.5``; Keys, "Cubic
convolution interpolation for digital image processing", IEEE TASSP 1981), :func:`jaxreg.data.upsample`.  It
ignores the anti-aliasing kernel of the forward model: it is what a user gets without any restoration.
Non-iterative: computed in ``init`` (one iteration), so it runs through ``solve``/``sweep`` like every method.
"""

from __future__ import annotations

from ..data import UPSAMPLE_METHODS, upsample
from .._pytree import pytree_dataclass, static
from ..problems import SuperResolution
from .base import ClosedForm
from .registry import register


@register
@pytree_dataclass
class Bicubic(ClosedForm):
    """Bicubic (or bilinear, nearest, Lanczos-3) interpolation of a super-resolution observation; one iteration."""

    name = "bicubic"
    paper = "Keys, Cubic convolution interpolation for digital image processing, IEEE TASSP 1981"
    problems = (SuperResolution,)

    method: str = static(default="bicubic", choices=tuple(UPSAMPLE_METHODS),
                         metadata={"help": "bicubic, bilinear, nearest or lanczos3"})

    def compute(self, problem):
        return upsample(problem.y, problem.factor, method=self.method)
