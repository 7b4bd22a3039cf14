"""Name → method registry used by ``jaxreg.methods.get`` and the CLI."""

from __future__ import annotations

_REGISTRY: dict = {}


def register(cls):
    """Class decorator: make a ``Method`` subclass available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"method name {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def names() -> list:
    """Registered method names, sorted."""
    return sorted(_REGISTRY)


def method_class(name: str):
    """The class registered under ``name``; ``ValueError`` listing the names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(names())}") from None


def get(name: str, **params):
    """A method config ``name`` with hyperparameters ``params`` (unknown names are a ``ValueError``)."""
    cls = method_class(name)
    known = cls.parameters()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"method {name!r} has no parameter(s) {unknown}; parameters: {', '.join(known)}")
    return cls(**params)
