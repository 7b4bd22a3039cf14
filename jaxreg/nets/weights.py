"""Critic checkpoints: one msgpack file (Flax serialization) holding the parameters and a JSON configuration.

Layout of the file (``flax.serialization.msgpack_serialize`` of a dict, never pickle)::

    {"format": "jaxreg.critic", "version": 1,
     "config": "<JSON text: network, patch size, training data and settings>",
     "sha256": "<hex digest of the serialized parameters>",
     "params": <the parameter tree, arrays as raw bytes>}

Arrays are stored bit for bit, so a round trip is bitwise exact.  :func:`load` refuses, with a ``ValueError``
that names the file, anything that is not such a dict (a PNG, a JSON file, another Flax checkpoint), a
truncated file (msgpack cannot finish decoding) and a file whose parameters were altered (the digest differs).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import jax
from flax import serialization

FORMAT = "jaxreg.critic"
VERSION = 1


def _digest(params) -> str:
    return hashlib.sha256(serialization.msgpack_serialize(_to_numpy(params))).hexdigest()


def _to_numpy(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a), tree)


def save(path, params, config: dict) -> None:
    """Write ``params`` (a nested dict of arrays) and ``config`` (JSON-serialisable) to ``path`` atomically."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"cannot write checkpoint {str(path)!r}: directory {str(path.parent)!r} does not exist")
    try:
        text = json.dumps(config, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"checkpoint config must be JSON-serialisable: {err}") from None
    params = _to_numpy(params)
    blob = serialization.msgpack_serialize({"format": FORMAT, "version": VERSION, "config": text,
                                            "sha256": _digest(params), "params": params})
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path) -> tuple:
    """``(params, config)`` from a file written by :func:`save`; ``ValueError``/``FileNotFoundError`` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"critic checkpoint {str(path)!r} does not exist")
    blob = path.read_bytes()
    where = f"{str(path)!r} is not a jaxreg critic checkpoint"
    if not blob:
        raise ValueError(f"{where}: the file is empty")
    try:
        tree = serialization.msgpack_restore(blob)
    except Exception as err:  # noqa: BLE001 - msgpack raises several types for truncated/foreign data
        raise ValueError(f"{where} (truncated or not msgpack: {type(err).__name__}: {err})") from None
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise ValueError(f"{where}: no '{FORMAT}' header (a foreign msgpack file?)")
    if tree.get("version") != VERSION:
        raise ValueError(f"{where}: format version {tree.get('version')!r}, this jaxreg reads version {VERSION}")
    missing = {"config", "sha256", "params"} - set(tree)
    if missing:
        raise ValueError(f"{where}: missing entries {sorted(missing)}")
    try:
        config = json.loads(tree["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: its configuration is not valid JSON ({err})") from None
    params = tree["params"]
    if not isinstance(params, dict) or _digest(params) != tree["sha256"]:
        raise ValueError(f"{str(path)!r}: the parameters do not match the stored SHA-256 digest "
                         "(the file is corrupted)")
    return params, config
