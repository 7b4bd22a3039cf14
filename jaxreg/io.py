"""Reading and writing images as float32 ``(H, W, C)`` arrays in [0, 1].

Supported formats, chosen by file extension (case-insensitive):

* ``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff`` through Pillow
  (8-bit, 16-bit gray, and 32-bit float TIFF);
* ``.npy`` through NumPy (never unpickled).

Reading is eager: a missing file raises ``FileNotFoundError``; anything that
cannot be decoded (not an image, truncated, unsupported mode, bad ``.npy``,
NaN/Inf values) raises ``ValueError`` naming the path and the reason.
Writing is atomic: the data goes to a temporary file in the target directory
that replaces the target only once it is completely written.
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np
import jax.numpy as jnp
from PIL import Image, UnidentifiedImageError

from jaxreg._checks import as_float_array

__all__ = ["imread", "imwrite", "contact_sheet", "IMAGE_EXTENSIONS"]

# extension -> Pillow format name (None: NumPy .npy)
_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".npy": None,
}
IMAGE_EXTENSIONS = tuple(_FORMATS)

_GRAY_16 = ("I;16", "I;16L", "I;16B", "I;16N")


def _extension(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(
            f"unsupported file extension {ext or '(none)'!r} for {path!r}; "
            f"use one of {', '.join(IMAGE_EXTENSIONS)}"
        )
    return ext


# --------------------------------------------------------------------- reading


def imread(path) -> jnp.ndarray:
    """Read an image file as a float32 ``(H, W, C)`` array.

    8-bit data is divided by 255 and 16-bit data by 65535, so integer images
    land in [0, 1]; float data (mode ``'F'`` TIFF, float ``.npy``) is kept as
    is.  Gray images give ``C == 1``, colour images ``C == 3``; an alpha
    channel is dropped with a ``UserWarning``.  ``.npy`` files must hold a
    rank-2 ``(H, W)`` or rank-3 ``(H, W, C)`` array of uint8, uint16, bool or
    float dtype.

    Raises ``FileNotFoundError`` when ``path`` does not exist, and
    ``ValueError`` naming the path when the file cannot be decoded or holds
    NaN/Inf.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"image file not found: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"cannot read image {path!r}: it is a directory")
    if os.path.splitext(path)[1].lower() == ".npy":
        arr = _read_npy(path)
    else:
        arr = _read_pillow(path)
    if not np.all(np.isfinite(arr)):
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(f"image {path!r} contains non-finite values ({n_nan} NaN, {n_inf} Inf)")
    return jnp.asarray(arr, dtype=jnp.float32)


def _read_npy(path: str) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as err:
        # object arrays (pickle refused), corrupt headers, truncated data
        raise ValueError(f"cannot read {path!r} as a .npy array: {err}") from None
    except (OSError, EOFError) as err:
        raise ValueError(f"cannot read {path!r} as a .npy array (truncated or corrupt): {err}") from None
    if not isinstance(arr, np.ndarray):  # e.g. an .npz archive renamed to .npy
        raise ValueError(f"cannot read {path!r}: not a single .npy array")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"array in {path!r} must have rank 2 (H, W) or 3 (H, W, C), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float32)
    raise ValueError(
        f"array in {path!r} has unsupported dtype {arr.dtype}; expected uint8, uint16, bool or float"
    )


def _read_pillow(path: str) -> np.ndarray:
    try:
        with Image.open(path) as img:
            img.load()  # force decoding now so truncated files fail here
            return _pil_to_array(img, path)
    except UnidentifiedImageError:
        raise ValueError(f"cannot read {path!r}: not an image, or an unsupported format") from None
    except (OSError, SyntaxError, EOFError) as err:
        # Pillow reports truncated / corrupt data as OSError (sometimes SyntaxError)
        raise ValueError(f"cannot read image {path!r}: file is truncated or corrupt ({err})") from None


def _drop_alpha_warning(path: str, mode: str) -> None:
    warnings.warn(
        f"image {path!r} has an alpha channel (mode {mode}); the alpha channel was dropped",
        UserWarning,
        stacklevel=5,  # warn -> helper -> _pil_to_array -> _read_pillow -> imread -> caller
    )


def _pil_to_array(img: Image.Image, path: str) -> np.ndarray:
    mode = img.mode
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.float32)[:, :, None] / 255.0
    if mode == "L":
        return np.asarray(img, dtype=np.float32)[:, :, None] / 255.0
    if mode in _GRAY_16:
        return np.asarray(img).astype(np.float32)[:, :, None] / 65535.0
    if mode == "I":
        a = np.asarray(img)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(
                f"cannot read image {path!r}: 32-bit integer data outside the 16-bit range "
                f"[0, 65535] (min {a.min()}, max {a.max()})"
            )
        return a.astype(np.float32)[:, :, None] / 65535.0
    if mode == "F":
        return np.asarray(img, dtype=np.float32)[:, :, None]
    if mode in ("LA", "La"):
        _drop_alpha_warning(path, mode)
        return np.asarray(img.convert("LA"), dtype=np.float32)[:, :, :1] / 255.0
    if mode == "P" and "transparency" not in img.info:
        return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    if mode in ("RGBA", "RGBa", "PA", "P"):
        rgba = img.convert("RGBA")
        if mode != "P" or np.asarray(rgba)[..., 3].min() < 255:
            _drop_alpha_warning(path, mode)
        return np.asarray(rgba, dtype=np.float32)[:, :, :3] / 255.0
    if mode == "RGB":
        return np.asarray(img, dtype=np.float32) / 255.0
    try:  # CMYK, YCbCr, LAB, HSV, ...
        rgb = img.convert("RGB")
    except ValueError as err:
        raise ValueError(f"cannot read image {path!r}: unsupported image mode {mode!r} ({err})") from None
    return np.asarray(rgb, dtype=np.float32) / 255.0


# --------------------------------------------------------------------- writing


def imwrite(path, image, *, bit_depth: int = 8) -> None:
    """Write a float image ``(H, W, C)`` or ``(H, W)`` to ``path``, atomically.

    The format follows the extension: ``.png``, ``.jpg``/``.jpeg`` (quality
    95), ``.tif``/``.tiff`` or ``.npy``.  For image formats the values are
    clipped to [0, 1] and rounded to ``bit_depth`` bits (8, or 16 for
    single-channel PNG/TIFF), and ``C`` must be 1 or 3.  ``.npy`` stores the
    float32 values unchanged (no clipping), so it round-trips exactly.

    The file is written to a temporary file in the same directory and moved
    over ``path`` with ``os.replace`` only after a successful write, so an
    existing file is never left half-written.  No directories are created.

    Raises ``ValueError`` for an unknown extension, an invalid image (wrong
    rank, non-float, NaN/Inf), an unsupported channel count or bit depth, and
    ``FileNotFoundError`` when the parent directory does not exist.
    """
    path = os.fspath(path)
    ext = _extension(path)
    fmt = _FORMATS[ext]
    if isinstance(bit_depth, bool) or bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth!r}")

    x = np.asarray(as_float_array(image, "image", ranks=(2, 3)), dtype=np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"image must be non-empty, got shape {x.shape}")

    if fmt is None:
        if bit_depth != 8:
            raise ValueError(
                f"bit_depth does not apply to .npy files (they store float32 values); got bit_depth={bit_depth}"
            )
        data = x
    else:
        data = _to_pil(x, fmt, bit_depth)

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    _atomic_write(path, directory, ext, fmt, data)


def _to_pil(x: np.ndarray, fmt: str, bit_depth: int) -> Image.Image:
    c = x.shape[2]
    if c not in (1, 3):
        raise ValueError(
            f"{fmt} images must have 1 (gray) or 3 (RGB) channels, got {c}; "
            "save other channel counts as .npy"
        )
    x = np.clip(x, 0.0, 1.0)
    if bit_depth == 16:
        if fmt == "JPEG":
            raise ValueError("JPEG supports only bit_depth=8; use .png or .tif for 16-bit gray, or .npy")
        if c != 1:
            raise ValueError(
                f"16-bit {fmt} is supported only for gray (1-channel) images, got {c} channels; "
                "save 16-bit colour data as .npy (float32) or use bit_depth=8"
            )
        q = np.round(x[:, :, 0] * 65535.0).astype(np.uint16)
        return Image.fromarray(q)  # mode I;16
    q = np.round(x * 255.0).astype(np.uint8)
    return Image.fromarray(q[:, :, 0] if c == 1 else q)


def _new_file_mode(path: str) -> int:
    """Permissions for the final file: keep an existing file's, else 0o666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _atomic_write(path: str, directory: str, ext: str, fmt, data) -> None:
    base = os.path.basename(path)
    tmp = tempfile.NamedTemporaryFile(delete=False, dir=directory, prefix=f".{base}.", suffix=ext)
    try:
        with tmp:
            if fmt is None:
                np.save(tmp, data, allow_pickle=False)
            elif fmt == "JPEG":
                data.save(tmp, format=fmt, quality=95)
            else:
                data.save(tmp, format=fmt)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, _new_file_mode(path))
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------- contact sheets


def contact_sheet(images, labels, *, best: int | None = None, columns: int | None = None,
                  min_tile: int = 96) -> np.ndarray:
    """Lay out ``images`` (``(G, H, W, C)``, C = 1 or 3) in a labelled grid: one tile per image with its label
    (one or more text lines) underneath, the tile ``best`` framed in red.  Returns a float32 ``(h, w, 3)`` image in
    [0, 1] to write with :func:`imwrite`.  Small images are enlarged by pixel repetition to at least ``min_tile``
    pixels a side so a person can judge them.
    """
    from PIL import ImageDraw, ImageFont

    arr = np.asarray(images, np.float32)
    if arr.ndim != 4 or arr.shape[0] == 0 or arr.shape[-1] not in (1, 3):
        raise ValueError(f"contact_sheet needs images of shape (G, H, W, 1 or 3), got {arr.shape}")
    if len(labels) != arr.shape[0]:
        raise ValueError(f"contact_sheet got {arr.shape[0]} images and {len(labels)} labels")
    g, h, w = arr.shape[:3]
    zoom = max(1, -(-int(min_tile) // max(h, w)))
    tiles = np.repeat(np.repeat(np.clip(arr, 0, 1), zoom, axis=1), zoom, axis=2)
    if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)
    th, tw = tiles.shape[1:3]
    cols = int(columns) if columns else int(np.ceil(np.sqrt(g)))
    rows = -(-g // cols)
    font = ImageFont.load_default()
    nlines = max(str(t).count("\n") + 1 for t in labels)
    pad, line = 6, 12
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_w = max(measure.textlength(part, font=font) for t in labels for part in str(t).split("\n"))
    cell_w, cell_h = max(tw, int(np.ceil(text_w))) + 2 * pad, th + 2 * pad + nlines * line + 2
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for i in range(g):
        r, c = divmod(i, cols)
        x0, y0 = c * cell_w + pad, r * cell_h + pad
        sheet.paste(Image.fromarray(np.uint8(tiles[i] * 255 + 0.5)), (x0, y0))
        if best is not None and i == best:
            draw.rectangle([x0 - 4, y0 - 4, x0 + tw + 3, y0 + th + 3], outline=(220, 0, 0), width=3)
        draw.multiline_text((x0, y0 + th + 3), str(labels[i]), fill=(0, 0, 0), font=font, spacing=1)
    return np.asarray(sheet, np.float32) / 255.0
