"""Patch streams for critic training: random crops (and flips) from a bank of images, and degradations.

The images of a folder are held on the device as one zero-padded ``uint8`` stack ``(N, H_max, W_max, C)`` with
their true sizes, so drawing a batch — an image index per patch, a crop offset inside that image, random flips —
is a traced function of a key and runs inside the compiled training loop (no host round trip per step).  Each
image is drawn with equal probability, as the authors' loader (one random crop per image per epoch, Prost et al.
``train.py``); crops are uniform over the positions where the patch fits.

A *degradation* is a function ``(key, patches) -> patches`` on a float batch ``(B, p, p, C)``:
:func:`gaussian_noise` adds white Gaussian noise of a fixed σ or, per patch, σ ~ U[a, b] (not clipped, as the
code); any user function of that signature works too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass, set_fields, static

FLIPS = ("none", "vertical", "both")


@pytree_dataclass(init=False)
class ImageBank(Pytree):
    """Images for patch sampling: ``pixels`` ``(N, H_max, W_max, C)`` uint8 (zero padded) and ``sizes`` ``(N, 2)``."""

    pixels: jnp.ndarray = None
    sizes: jnp.ndarray = None
    names: tuple = static(default=())

    def __init__(self, images, names=None):
        images = list(images)
        if not images:
            raise ValueError("ImageBank: no images given")
        arrays = []
        for i, im in enumerate(images):
            a = np.asarray(im)
            if a.ndim != 3:
                raise ValueError(f"ImageBank: image {i} must be (H, W, C), got shape {a.shape}")
            if a.dtype != np.uint8:
                if not np.issubdtype(a.dtype, np.floating):
                    raise ValueError(f"ImageBank: image {i} must be uint8 or float in [0, 1], got dtype {a.dtype}")
                if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
                    raise ValueError(f"ImageBank: image {i} must lie in [0, 1] and be finite")
                a = np.uint8(np.round(a * 255))
            arrays.append(a)
        channels = {a.shape[2] for a in arrays}
        if len(channels) != 1:
            raise ValueError(f"ImageBank: images have different channel counts {sorted(channels)}")
        hmax = max(a.shape[0] for a in arrays)
        wmax = max(a.shape[1] for a in arrays)
        stack = np.zeros((len(arrays), hmax, wmax, arrays[0].shape[2]), np.uint8)
        for i, a in enumerate(arrays):
            stack[i, :a.shape[0], :a.shape[1]] = a
        sizes = np.array([a.shape[:2] for a in arrays], np.int32)
        names = tuple(names) if names is not None else tuple(f"image{i}" for i in range(len(arrays)))
        set_fields(self, pixels=jnp.asarray(stack), sizes=jnp.asarray(sizes), names=names)

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[-1])

    def __len__(self) -> int:
        return int(self.pixels.shape[0])

    def smallest_side(self) -> int:
        return int(np.asarray(self.sizes).min())

    @classmethod
    def from_folder(cls, folder, *, channels: int = 3, max_side: int | None = None):
        """Every image file in ``folder`` (sorted by name), as ``channels`` = 3 (RGB) or 1 (grey).

        ``max_side`` shrinks larger images (Lanczos) so that their longer side is at most that many pixels.
        """
        from PIL import Image
        from ..io import IMAGE_EXTENSIONS

        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"image folder {str(folder)!r} does not exist")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels}")
        exts = {e for e in IMAGE_EXTENSIONS if e != ".npy"}
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in exts and p.is_file())
        if not files:
            raise ValueError(f"image folder {str(folder)!r} holds no image files ({', '.join(sorted(exts))})")
        images = []
        for p in files:
            try:
                with Image.open(p) as im:
                    im = im.convert("RGB" if channels == 3 else "L")
                    if max_side and max(im.size) > max_side:
                        scale = max_side / max(im.size)
                        im = im.resize((max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale))),
                                       Image.LANCZOS)
                    a = np.asarray(im, np.uint8)
            except OSError as err:
                raise ValueError(f"cannot read training image {str(p)!r}: {err}") from None
            images.append(a[..., None] if a.ndim == 2 else a)
        return cls(images, names=[os.path.basename(p) for p in files])


def check_patch_size(bank: ImageBank, size: int, what: str = "images") -> None:
    """Eager: every image must hold at least one ``size × size`` patch."""
    small = [(n, tuple(int(v) for v in s)) for n, s in zip(bank.names, np.asarray(bank.sizes)) if min(s) < size]
    if small:
        raise ValueError(f"{len(small)} {what} are smaller than the {size}×{size} patch, e.g. {small[0][0]} "
                         f"{small[0][1][0]}×{small[0][1][1]}")


def sample_patches(key, bank: ImageBank, batch: int, size: int, flips: str = "both"):
    """``batch`` random ``size × size`` crops, float32 in [0, 1], each from a uniformly drawn image.

    ``flips``: ``"none"``, ``"vertical"`` (the authors' ``RandomVerticalFlip``) or ``"both"`` (vertical and
    horizontal, each with probability ½).
    """
    if flips not in FLIPS:
        raise ValueError(f"flips must be one of {FLIPS}, got {flips!r}")
    k_img, k_top, k_left, k_v, k_h = jax.random.split(key, 5)
    idx = jax.random.randint(k_img, (batch,), 0, bank.pixels.shape[0])
    hw = bank.sizes[idx]
    top = jnp.floor(jax.random.uniform(k_top, (batch,)) * (hw[:, 0] - size + 1)).astype(jnp.int32)
    left = jnp.floor(jax.random.uniform(k_left, (batch,)) * (hw[:, 1] - size + 1)).astype(jnp.int32)
    c = bank.pixels.shape[-1]

    def crop(i, t, l):
        return jax.lax.dynamic_slice(bank.pixels[i], (t, l, 0), (size, size, c))

    patches = jax.vmap(crop)(idx, top, left).astype(jnp.float32) / 255.0
    if flips in ("vertical", "both"):
        v = jax.random.bernoulli(k_v, 0.5, (batch, 1, 1, 1))
        patches = jnp.where(v, patches[:, ::-1], patches)
    if flips == "both":
        h = jax.random.bernoulli(k_h, 0.5, (batch, 1, 1, 1))
        patches = jnp.where(h, patches[:, :, ::-1], patches)
    return patches


def parse_sigma(sigma) -> tuple:
    """``σ`` or ``(a, b)`` (or ``"a,b"``) as a validated ``(low, high)`` pair on the [0, 1] scale."""
    if isinstance(sigma, str):
        try:
            parts = tuple(float(s) for s in sigma.split(",") if s.strip())
        except ValueError:
            raise ValueError(f"sigma must be a number or 'a,b', got {sigma!r}") from None
        sigma = parts[0] if len(parts) == 1 else parts
    low, high = (sigma, sigma) if np.ndim(sigma) == 0 else tuple(sigma)
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high < low:
        raise ValueError(f"sigma must be ≥ 0 (a range a,b needs 0 ≤ a ≤ b), got {sigma!r}")
    return low, high


def gaussian_noise(sigma):
    """Degradation adding white Gaussian noise: fixed ``sigma``, or per patch σ ~ U[a, b] for ``sigma=(a, b)``."""
    low, high = parse_sigma(sigma)

    def degrade(key, patches):
        k_s, k_n = jax.random.split(key)
        s = jax.random.uniform(k_s, (patches.shape[0],) + (1,) * (patches.ndim - 1), minval=low, maxval=high)
        return patches + s * jax.random.normal(k_n, patches.shape, patches.dtype)

    degrade.sigma = (low, high)
    return degrade
