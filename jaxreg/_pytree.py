"""Immutable dataclass pytrees.

``@pytree_dataclass`` turns a class into a frozen dataclass registered with JAX:
fields declared with ``static()`` go into the treedef (hashable structure such
as names, shapes and flags); every other field is a leaf (arrays and numeric
hyperparameters), so ``vmap`` and ``jit`` see them as data.

Unflattening bypasses ``__init__``: validation written in a constructor runs
once, eagerly, on concrete user input, and never on tracers.
"""

from __future__ import annotations

import dataclasses

import jax


def static(default=dataclasses.MISSING, *, choices=None, **kwargs):
    """A dataclass field that is part of the pytree structure, not a leaf.

    ``choices`` (optional): the values it may take; :meth:`jaxreg.methods.Method.validate` rejects any other with a
    ``ValueError`` naming the field, before anything is compiled.
    """
    metadata = dict(kwargs.pop("metadata", {}) or {}, static=True)
    if choices is not None:
        metadata["choices"] = tuple(choices)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


def leaf(default=dataclasses.MISSING, **kwargs):
    """A dataclass field that is a pytree leaf (explicit form of a plain field)."""
    return dataclasses.field(default=default, **kwargs)


class Pytree:
    """Base class of every jaxreg pytree: ``replace`` and field introspection."""

    _leaf_names: tuple = ()
    _static_names: tuple = ()

    def replace(self, **changes):
        """Return a copy with some fields changed (no validation: values may be tracers)."""
        unknown = set(changes) - set(self._leaf_names) - set(self._static_names)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field(s) {sorted(unknown)}")
        new = object.__new__(type(self))
        for name in self._leaf_names + self._static_names:
            object.__setattr__(new, name, changes.get(name, getattr(self, name)))
        return new


def pytree_dataclass(cls=None, *, init=True):
    """Decorate ``cls`` as a frozen dataclass and register it as a JAX pytree."""

    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True, eq=False, repr=True, init=init)(cls)
        fields = dataclasses.fields(cls)
        cls._leaf_names = tuple(f.name for f in fields if not f.metadata.get("static"))
        cls._static_names = tuple(f.name for f in fields if f.metadata.get("static"))

        def flatten_with_keys(obj):
            children = tuple((jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in cls._leaf_names)
            return children, tuple(getattr(obj, n) for n in cls._static_names)

        def unflatten(aux, children):
            obj = object.__new__(cls)
            for name, value in zip(cls._leaf_names, children):
                object.__setattr__(obj, name, value)
            for name, value in zip(cls._static_names, aux):
                object.__setattr__(obj, name, value)
            return obj

        jax.tree_util.register_pytree_with_keys(
            cls, flatten_with_keys, unflatten, flatten_func=lambda o: (
                tuple(getattr(o, n) for n in cls._leaf_names),
                tuple(getattr(o, n) for n in cls._static_names),
            )
        )
        return cls

    return wrap if cls is None else wrap(cls)


def set_fields(obj, **values) -> None:
    """Assign fields of a frozen pytree from inside its own ``__init__``."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)
