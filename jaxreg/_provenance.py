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


def code_modified(directory=CHECKOUT) -> bool | None:
    """Whether tracked code of the checkout (``jaxreg/``, ``benchmarks/`` outside its results) differs from HEAD —
    a result then came from uncommitted code; None when git cannot tell."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "jaxreg", "benchmarks",
                              ":(exclude)benchmarks/results"], cwd=directory, capture_output=True, text=True,
                             check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())
