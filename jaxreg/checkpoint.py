"""Checkpoints of a running ``solve`` or ``sweep``: kill a run at any instant, run the same call again, and it
continues to bit for bit the result of an uninterrupted run (same machine and backend).

``solve(..., checkpoint=DIR, checkpoint_every=N)`` (and ``sweep``) writes, at the first chunk boundary after
every ``N`` iterations and when the run ends, the whole driver carry — the method state (network parameters,
optax state, PRNG keys), the iteration counters and statuses, the stopping/selection state — and the history
recorded so far.  A later call with ``checkpoint=DIR`` resumes from the newest valid checkpoint of the **same**
run; a finished run is returned at once.

**Same run.**  Each checkpoint records a fingerprint: the method (class, static fields and the bytes of every
hyperparameter leaf), the sweep grid, the problem (class, static fields, the bytes of the observation and of
the operator), the key, the reference, ``num_iters``, ``chunk_size``, ``tol``, ``data_range``, the criteria,
the batch levels, the jaxreg version and the backend.  Any difference raises a ``ValueError`` naming the fields
that differ — never a silent mix of two runs.  A directory holding files of another program is refused.

**Format.**  One file per checkpoint, ``run-<iterations>.jaxreg-ckpt``: a msgpack document (Flax
serialization, the format of the critic checkpoints; no pickle) ``{"format", "version", "fingerprint",
"sha256", "payload"}`` where ``payload`` is the msgpack of the carry's leaves (PRNG keys as their raw key data)
and the history, and ``sha256`` the digest of fingerprint + payload.  It is written to a temporary name,
``fsync``-ed and renamed (atomic on POSIX), then the directory is ``fsync``-ed; the two newest are kept.  A
truncated or altered newest file fails its digest: the previous one is used, with a warning; if none is valid,
a ``ValueError``.  Why not orbax-checkpoint: a run's carry is a few host-sized arrays written from one process,
for which one self-verifying file with a digest over its exact bytes is simpler to make atomic and to check
than orbax's directory of tensorstore files, and it needs no new dependency; orbax becomes the right tool when
the carry is sharded over the devices of many processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import warnings
from pathlib import Path

import numpy as np
import jax
from flax import serialization

FORMAT = "jaxreg.run-checkpoint"
VERSION = 1
SUFFIX = ".jaxreg-ckpt"
KEEP = 2
# testing hook: kill the process (SIGKILL) half-way through writing the checkpoint with this ordinal (1-based)
_KILL_ENV = "JAXREG_TEST_KILL_DURING_CHECKPOINT"


# ------------------------------------------------------------------------------------------------ fingerprint
def _leaf_bytes(x) -> bytes:
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    a = np.asarray(x)
    return str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{6,}")


def tree_digest(tree, what: str = "the run") -> str:
    """SHA-256 of a pytree: its structure (static fields included) and the bytes, dtype and shape of each leaf.

    A static field whose ``repr`` names a memory address (a Python function, an object without a ``repr``)
    would give another digest in every process, so the run could never resume: that is a ``ValueError`` now.
    """
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    text = str(treedef)
    found = _ADDRESS.search(text)
    if found:
        start = max(0, found.start() - 60)
        raise ValueError(f"cannot checkpoint {what}: it holds an object whose repr names a memory address "
                         f"(…{text[start:found.end()]}), which differs in every process, so a resumed run could "
                         "not be recognised as the same; give it a stable repr (e.g. a named function in a module "
                         "with a dataclass around it) or run without checkpoint=")
    h = hashlib.sha256(text.encode())
    for leaf in leaves:
        h.update(_leaf_bytes(leaf))
    return h.hexdigest()


def fingerprint(*, method, params, problem, key, reference, num_iters, chunk_size, tol, data_range, plan,
                levels) -> dict:
    """What makes two runs the same (module docstring); every value is a string."""
    from . import __version__
    dev = jax.devices()[0]
    return {
        "method": f"{type(method).__name__}:{tree_digest(method, 'the method')}",
        "grid": tree_digest(params),
        "problem": f"{type(problem).__name__}:{tree_digest(problem, 'the problem')}",
        "key": tree_digest(key),
        "reference": "none" if reference is None else tree_digest(reference),
        "num_iters": str(int(num_iters)),
        "chunk_size": str(int(chunk_size)),
        "tol": repr(float(tol)),
        "data_range": repr(float(data_range)),
        "criteria": repr(plan),
        "levels": repr(tuple(levels)),
        "jaxreg": str(__version__),
        "jax": f"{jax.__version__} x64={bool(jax.config.jax_enable_x64)}",
        "backend": f"{dev.platform}:{dev.device_kind}:{jax.device_count()} devices",
    }


# ------------------------------------------------------------------------------------------------ files
def _files(directory: Path) -> list:
    """Checkpoint files of ``directory``, newest (most iterations) first."""
    found = []
    for p in directory.glob(f"run-*{SUFFIX}"):
        try:
            found.append((int(p.name[4:-len(SUFFIX)]), p))
        except ValueError:
            continue
    return [p for _, p in sorted(found, reverse=True)]


def check_directory(path) -> Path:
    """Validate a checkpoint directory eagerly: create it if missing; refuse a file or a foreign directory."""
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"checkpoint {str(directory)!r} must be a directory, and it is a file")
    if directory.is_dir():
        # hidden files (.DS_Store, NFS leftovers, our half-written temporaries) and lost+found are tolerated
        foreign = [p.name for p in directory.iterdir()
                   if not (p.name.endswith(SUFFIX) or p.name.startswith(".") or p.name == "lost+found")]
        if foreign:
            raise ValueError(f"checkpoint directory {str(directory)!r} holds files that are not jaxreg run "
                             f"checkpoints ({', '.join(sorted(foreign)[:3])}); give an empty or a new directory")
    else:
        if not directory.resolve().parent.is_dir():
            raise ValueError(f"cannot create checkpoint directory {str(directory)!r}: its parent does not exist")
        try:
            directory.mkdir()
        except OSError as err:
            raise ValueError(f"cannot create checkpoint directory {str(directory)!r}: {err}") from None
    probe = directory / f".probe{os.getpid()}"
    try:  # find an unwritable directory now, not after the first interval of compute
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"cannot write in checkpoint directory {str(directory)!r}: {err}") from None
    return directory


def _encode(tree):
    """Leaves as numpy arrays (PRNG keys as their key data) and the positions of the keys."""
    leaves = jax.tree_util.tree_leaves(tree)
    out, keys = [], []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            keys.append(i)
            leaf = jax.random.key_data(leaf)
        out.append(np.asarray(leaf))
    return {str(i): a for i, a in enumerate(out)}, keys


def _fsync_dir(directory: Path):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_args(directory, every):
    """Eager checks of ``solve``/``sweep``'s ``checkpoint`` and ``checkpoint_every``; ``(Path, int)`` or None."""
    if directory is None:
        return None
    if isinstance(every, bool):
        raise ValueError(f"checkpoint_every must be a positive integer, got {every!r}")
    try:
        n = int(every)
    except (TypeError, ValueError):
        raise ValueError(f"checkpoint_every must be a positive integer, got {every!r}") from None
    if n != every or n < 1:
        raise ValueError(f"checkpoint_every must be a positive integer, got {every!r}")
    return check_directory(directory), n


class RunCheckpoint:
    """Writes and reads the checkpoints of one run in ``directory`` (used by the driver)."""

    def __init__(self, directory, every: int, fingerprint_: dict):
        self.directory = check_directory(directory)
        self.every = int(every)
        self.fingerprint = fingerprint_
        self.text = json.dumps(fingerprint_, sort_keys=True)
        self.written = 0

    # -- writing ----------------------------------------------------------------------------------------
    def save(self, carry, chunks, done: int, run_s: float):
        leaves, keys = _encode(carry)
        history = {str(i): {k: np.asarray(v) for k, v in c.items()} for i, c in enumerate(chunks)}
        payload = serialization.msgpack_serialize({"carry": leaves, "keys": np.asarray(keys, np.int64),
                                                   "history": history, "done": int(done), "run_s": float(run_s)})
        digest = hashlib.sha256(self.text.encode() + payload).hexdigest()
        blob = serialization.msgpack_serialize({"format": FORMAT, "version": VERSION, "fingerprint": self.text,
                                                "sha256": digest, "payload": payload})
        self.directory.mkdir(exist_ok=True)
        final = self.directory / f"run-{int(done):09d}{SUFFIX}"
        tmp = self.directory / f".{final.name}.tmp{os.getpid()}"
        self.written += 1
        kill_at = os.environ.get(_KILL_ENV)
        with open(tmp, "wb") as f:
            if kill_at is not None and int(kill_at) == self.written:
                f.write(blob[: len(blob) // 2])
                f.flush()
                os.fsync(f.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(self.directory)
        for old in _files(self.directory)[KEEP:]:
            old.unlink(missing_ok=True)
        for stale in self.directory.glob(f".run-*{SUFFIX}.tmp*"):  # left by a process killed while writing
            stale.unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------------------------------------
    def _read(self, path: Path):
        """The payload dict of a valid file of this run; ValueError (corrupt) or _Mismatch (another run)."""
        blob = path.read_bytes()
        try:
            doc = serialization.msgpack_restore(blob)
        except Exception as err:  # noqa: BLE001 - msgpack raises several types for truncated data
            raise ValueError(f"{path.name} is truncated or not msgpack ({type(err).__name__})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"{path.name} is not a jaxreg run checkpoint")
        if doc.get("version") != VERSION:
            raise ValueError(f"{path.name} has format version {doc.get('version')!r}; this jaxreg reads {VERSION}")
        text, payload = doc.get("fingerprint"), doc.get("payload")
        if not isinstance(text, str) or not isinstance(payload, bytes):
            raise ValueError(f"{path.name} lacks its fingerprint or payload")
        if hashlib.sha256(text.encode() + payload).hexdigest() != doc.get("sha256"):
            raise ValueError(f"{path.name} fails its SHA-256 digest (altered or truncated)")
        theirs = json.loads(text)
        if theirs != self.fingerprint:
            fields = sorted(k for k in set(theirs) | set(self.fingerprint) if theirs.get(k) != self.fingerprint.get(k))
            raise _Mismatch(fields)
        return serialization.msgpack_restore(payload)

    def restore(self, template):
        """``(carry, chunks, done, run_s)`` from the newest valid checkpoint, or None when there is none.

        ``template`` is a fresh initial carry: it gives the structure, and the PRNG key implementation of the
        key leaves.  Raises ``ValueError`` when the directory holds checkpoints of another run (naming the fields
        that differ) or only corrupted ones.
        """
        if not self.directory.is_dir():
            return None
        files = _files(self.directory)
        if not files:
            return None
        problems = []
        for path in files:
            try:
                data = self._read(path)
            except _Mismatch as err:
                raise ValueError(f"checkpoint directory {str(self.directory)!r} holds a different run: "
                                 f"{', '.join(err.fields)} differ{'s' if len(err.fields) == 1 else ''} "
                                 "(use a new directory, or the same arguments as the checkpointed run)") from None
            except (ValueError, OSError) as err:
                problems.append(str(err))
                warnings.warn(f"jaxreg checkpoint: {err}; trying an older checkpoint", RuntimeWarning, stacklevel=3)
                continue
            return self._rebuild(template, data, path)
        raise ValueError(f"checkpoint directory {str(self.directory)!r} has no valid checkpoint: "
                         + "; ".join(problems))

    def _rebuild(self, template, data, path):
        leaves, treedef = jax.tree_util.tree_flatten(template)
        stored = data["carry"]
        keys = set(int(k) for k in np.asarray(data["keys"]).ravel())
        if len(stored) != len(leaves):
            raise ValueError(f"{path.name}: {len(stored)} arrays stored, the run's state has {len(leaves)}")
        out = []
        for i, leaf in enumerate(leaves):
            a = np.asarray(stored[str(i)])
            if i in keys:
                expected = np.asarray(jax.random.key_data(leaf))
                if a.shape != expected.shape or a.dtype != expected.dtype:
                    raise ValueError(f"{path.name}: key {i} is {a.dtype}{a.shape}, the run's is "
                                     f"{expected.dtype}{expected.shape}")
                new = jax.random.wrap_key_data(a, impl=jax.random.key_impl(leaf))
                sharding = getattr(leaf, "sharding", None)
                new = jax.device_put(new, sharding) if sharding is not None else new
            else:
                ref = np.asarray(leaf)
                if a.shape != ref.shape or a.dtype != ref.dtype:
                    raise ValueError(f"{path.name}: array {i} is {a.dtype}{a.shape}, the run's is "
                                     f"{ref.dtype}{ref.shape}")
                new = jax.device_put(a, getattr(leaf, "sharding", None))
            out.append(new)
        carry = jax.tree_util.tree_unflatten(treedef, out)
        chunks = [dict(data["history"][str(i)]) for i in range(len(data["history"]))]
        return carry, chunks, int(data["done"]), float(data["run_s"])


class _Mismatch(Exception):
    def __init__(self, fields):
        super().__init__(", ".join(fields))
        self.fields = fields


__all__ = ["RunCheckpoint", "check_args", "check_directory", "fingerprint", "tree_digest"]
