"""Where a result came from: the git commit of a checkout (recorded by `jaxreg sweep` and the benchmarks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: the repository root when jaxreg runs from a checkout
CHECKOUT = Path(__file__).resolve().parents[1]


def git_commit(directory=CHECKOUT) -> str | None:
    """HEAD of the git repository holding ``directory``, or None (not a checkout, git missing, or it failed)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
