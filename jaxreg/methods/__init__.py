"""Methods: immutable configs with ``init``/``step``/``output``, looked up by name.

``get(name, **params)`` returns a config; ``names()`` lists what is available.
"""

from .base import Method
from .registry import get, method_class, names, register
from . import (alr, dip, dip_l0, drp, interpolation, l0_smoothing, ngr, pnp, region_fusion, tikhonov, tv,  # noqa: F401
               wiener)  # (importing registers the methods)

__all__ = ["Method", "get", "method_class", "names", "register"]
