"""Eager input validation shared by problems, operators, metrics and I/O.

Every check runs on concrete (host) values before anything is traced or
compiled, so a bad input fails with a ``ValueError`` that names the problem
instead of a crash deep inside XLA.  Value checks (NaN, range) are skipped
for tracers, whose values are unknown; shape and dtype checks always run.
"""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp


def is_concrete(x) -> bool:
    """True when ``x`` carries values (not a tracer inside jit/vmap/grad)."""
    return not isinstance(x, jax.core.Tracer)


def float_dtype(x):
    """float64 is kept only when x64 is enabled; every other float becomes float32."""
    if jnp.dtype(x.dtype) == jnp.float64 and jax.dtypes.canonicalize_dtype(jnp.float64) == jnp.float64:
        return jnp.float64
    return jnp.float32


def as_float_array(x, name: str, *, ranks=(3,), allow_nonfinite=False):
    """Validate an image-like array and return it as a float JAX array.

    Raises ``ValueError`` naming ``name`` when ``x`` is not array-like, has the
    wrong rank, is not floating point, or (when concrete) holds NaN or Inf.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise ValueError(f"{name} must be an array, got {type(x).__name__}")
    if not hasattr(x, "dtype"):
        try:
            x = np.asarray(x)
        except Exception as err:  # noqa: BLE001 - report any conversion failure
            raise ValueError(f"{name} must be an array: {err}") from None
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(
            f"{name} must have rank {want} (images are (H, W, C), video (T, H, W, C)); "
            f"got shape {tuple(x.shape)}"
        )
    if not jnp.issubdtype(x.dtype, jnp.floating):
        hint = " (divide by 255 or read it with jaxreg.io.imread)" if jnp.issubdtype(x.dtype, jnp.integer) else ""
        raise ValueError(f"{name} must be a floating-point array in [0, 1], got dtype {x.dtype}{hint}")
    if not allow_nonfinite:
        check_finite(x, name)
    return jnp.asarray(x, dtype=float_dtype(x))


def check_finite(x, name: str) -> None:
    """Raise ``ValueError`` if a concrete ``x`` holds NaN or Inf."""
    if not is_concrete(x):
        return
    a = np.asarray(x)
    if not np.all(np.isfinite(a)):
        n_nan = int(np.isnan(a).sum())
        n_inf = int(np.isinf(a).sum())
        raise ValueError(f"{name} contains non-finite values ({n_nan} NaN, {n_inf} Inf)")


def check_nonnegative(value, name: str) -> None:
    """Raise ``ValueError`` if a concrete scalar (or array) ``value`` is negative or not finite."""
    if value is None or not is_concrete(value):
        return
    a = np.asarray(value)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if np.any(a < 0):
        raise ValueError(f"{name} must be non-negative, got {value!r}")
