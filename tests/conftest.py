"""Test-session settings."""

import os

# The jaxreg command turns on JAX's persistent compilation cache in ~/.cache; tests call it in-process and must
# neither write to the user's home nor change JAX's configuration for the tests that follow.  A test that checks
# the cache runs the command in a subprocess without this variable.  (.ci/run sets JAX_COMPILATION_CACHE_DIR for
# the whole session, which the command respects.)
os.environ.setdefault("JAXREG_NO_COMPILATION_CACHE", "1")
