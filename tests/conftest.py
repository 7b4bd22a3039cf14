"""Test-session settings.

The test problems are tiny (32–64 px, a few iterations), so compiling dominates the suite's time on a CPU; XLA's
backend optimisation level 0 compiles the same programs several times faster.  Results differ from the
optimised build only by float rounding, which every tolerance in this suite allows for (tolerances come from
float32 eps and the data's scale, not from one machine's last bits).  Set ``XLA_FLAGS`` yourself to override
(any ``--xla_backend_optimization_level`` you give is kept).
"""

import os

if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
