"""JAX's persistent compilation cache for the command line and the benchmarks.

Compiling a deep prior's loop takes 10–60 s on a CPU, and a user pays it again on every ``jaxreg restore`` unless
compiled executables are kept on disk.  :func:`enable_persistent_cache` points JAX's cache
(``jax_compilation_cache_dir``) at ``$XDG_CACHE_HOME/jaxreg/xla`` (``~/.cache/jaxreg/xla``), so the second run of
a command loads its executables instead of compiling them.  It leaves JAX alone when ``JAX_COMPILATION_CACHE_DIR``
is already set (the user's choice wins) and when ``JAXREG_NO_COMPILATION_CACHE`` is set (opt out).  Library calls
(``jaxreg.solve``) never change JAX's configuration; only the ``jaxreg`` command and the benchmark scripts call this.
"""

from __future__ import annotations

import os

OPT_OUT = "JAXREG_NO_COMPILATION_CACHE"


def cache_directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxreg", "xla")


def enable_persistent_cache() -> str | None:
    """Turn on JAX's persistent compilation cache (module docstring); returns its directory, or None if left off."""
    if os.environ.get(OPT_OUT) or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    path = cache_directory()
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None  # an unwritable home: run without the cache rather than fail
    import jax
    jax.config.update("jax_compilation_cache_dir", path)
    # keep every executable, not only those that took over a second (JAX's default threshold): a command's
    # programs are few, and a half-second compile is most of a fast method's wait
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
