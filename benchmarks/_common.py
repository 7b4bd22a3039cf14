"""Shared helpers of the benchmark scripts: data loading, timing, and writing JSON + markdown results.

Not part of the library; imported by the scripts in this folder (run them with ``PYTHONPATH=.`` from the
repository root, or after ``pip install .``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import jax
from PIL import Image

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_DATA = (HERE.parent / ".." / "shared" / "data").resolve()


# ------------------------------------------------------------------------------------------------ environment
def environment() -> dict:
    """Device, versions, date: quoted in every result file."""
    dev = jax.devices()[0]
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return {
        "date": datetime.date.today().isoformat(),
        "datetime_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": f"{dev.platform}: {dev.device_kind}" if dev.platform != "cpu" else f"cpu ({os.cpu_count()} cores, {cpu})",
        "jax_device": str(dev),
        "jax": jax.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def git_commit() -> str | None:
    """The repository's HEAD commit (recorded in every result file), or None outside a git checkout."""
    from jaxreg._provenance import git_commit as commit_of
    return commit_of(HERE)


def env_line(env: dict) -> str:
    return f"{env['date']} · {env['device']} · JAX {env['jax']} · Python {env['python']}"


# ------------------------------------------------------------------------------------------------ data
def data_dir(arg: str | None) -> Path:
    return Path(arg).resolve() if arg else DEFAULT_DATA


def have_data(path: Path) -> bool:
    return path.is_dir() and (path / "README.md").exists()


def skip_without_data(path: Path, what: str):
    """Print a clear message and exit successfully when the shared data folder is missing."""
    if not have_data(path):
        print(f"SKIPPED {what}: the shared data folder {path} is absent "
              f"(expected ../shared/data next to the repository; pass --data DIR to point elsewhere).")
        sys.exit(0)


def require_data(arg: str | None, what: str) -> Path:
    """The shared data folder named by ``--data`` (default ../shared/data); when it is absent, say so and exit
    successfully (:func:`skip_without_data`)."""
    path = data_dir(arg)
    skip_without_data(path, what)
    return path


def _square_resize(arr: np.ndarray, size: int | None) -> np.ndarray:
    """Largest centred square, resized with Lanczos to ``size × size`` (as ``jaxreg.data.sample_image``)."""
    if size is None:
        return arr
    h, w = arr.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = arr[top:top + s, left:left + s]
    if s == size:
        return crop
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.LANCZOS))


def load_rgb(path: Path, size: int | None = None) -> np.ndarray:
    """8-bit RGB image file → float32 ``(H, W, 3)`` in [0, 1] (alpha must not be present)."""
    with Image.open(path) as im:
        if im.mode not in ("RGB", "L"):
            raise ValueError(f"{path}: unexpected mode {im.mode}")
        arr = np.asarray(im.convert("RGB"))
    return _square_resize(arr, size).astype(np.float32) / 255.0


def load_gray(path: Path, size: int | None = None) -> np.ndarray:
    """8-bit image file → float32 ``(H, W, 1)`` luminance (PIL ``L``) in [0, 1]."""
    with Image.open(path) as im:
        arr = np.asarray(im.convert("L"))
    return _square_resize(arr, size).astype(np.float32)[..., None] / 255.0


def clipart_reference(path: Path) -> np.ndarray:
    """Clip-art ground truth: RGBA PNG composited over black, ``RGB · α/255`` (see ../shared/data/README.md)."""
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA")).astype(np.float32)
    return rgba[..., :3] * (rgba[..., 3:] / 255.0) / 255.0


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of a float ``(H, W, 3)`` image, ``(H, W, 1)`` (as PIL's ``L`` conversion)."""
    return (rgb @ np.asarray([0.299, 0.587, 0.114], np.float32))[..., None].astype(np.float32)


def gray_square(gray: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop + Lanczos-resize a float gray ``(H, W, 1)`` image in [0, 1] to ``size × size``."""
    u8 = np.clip(np.round(gray[..., 0] * 255.0), 0, 255).astype(np.uint8)
    return _square_resize(u8, size).astype(np.float32)[..., None] / 255.0


# ------------------------------------------------------------------------------------------------ command line
def add_io_args(ap: argparse.ArgumentParser, *, name: str | None = None) -> None:
    """The options a benchmark's command line ends with: ``--data`` (the shared data folder, read with
    :func:`require_data` or :func:`data_dir`), ``--out`` (the output folder) and, with ``name``, ``--name`` (the
    result files' stem, default ``name``)."""
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--out", help="output folder (default benchmarks/results)")
    if name is not None:
        ap.add_argument("--name", default=name, help="output file stem")


def add_range(ap: argparse.ArgumentParser, prefix: str, low: float, high: float) -> None:
    """``--<prefix>-min`` and ``--<prefix>-max``: the ends (floats, defaults ``low`` and ``high``) of a grid."""
    ap.add_argument(f"--{prefix}-min", type=float, default=low)
    ap.add_argument(f"--{prefix}-max", type=float, default=high)


# ------------------------------------------------------------------------------------------------ resuming
def run_checkpoint(args, script: str, *parts) -> Path | None:
    """With ``--resume``, a checkpoint directory for one long solve (``jaxreg.solve(..., checkpoint=…)``), so a
    killed benchmark resumes inside the image it was on; None otherwise.  Under ``<out>/.checkpoints/``."""
    if not getattr(args, "resume", False):
        return None
    base = Path(args.out) if getattr(args, "out", None) else RESULTS
    path = base / ".checkpoints" / script / "-".join(str(p) for p in parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def drop_checkpoint(path: Path | None) -> None:
    """Remove a finished solve's checkpoints once its row is written (the row is what ``--resume`` keeps)."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ timing
def median_time(fn, repeats: int):
    """``(median seconds, all seconds, last result)`` of ``repeats`` calls of ``fn()`` (which must block)."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def block(x):
    return jax.block_until_ready(x)


# ------------------------------------------------------------------------------------------------ output
def fmt_s(seconds) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_db(v) -> str:
    return "—" if v is None else f"{v:.2f}"


def table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    return x


_ASCII = {"σ": "sigma ", "λ": "lambda ", "ℓ": "l", "τ": "tau", "β": "beta", "×": "x", "−": "-", "·": "-"}


def _ascii(text: str) -> str:
    return "".join(_ASCII.get(ch, ch if ord(ch) < 128 else "?") for ch in text).replace("  ", " ")


def _caption_font():
    """``(font, ascii_only)``: DejaVu Sans 11 pt (matplotlib ships it; it has σ, λ, ℓ), else PIL's default font
    with captions spelled in ASCII."""
    from PIL import ImageFont
    try:
        from matplotlib import font_manager
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans", fallback_to_default=False), 11), False
    except Exception:  # no matplotlib, no FreeType or no such font: the bitmap font has no Greek letters
        return ImageFont.load_default(), True


def crop_figure(name: str, rows: list, out_dir: str | None = None, *, box: tuple | None = None,
                min_tile: int = 160) -> Path | None:
    """A figure a reader can look at: one row per image, one tile per panel (input, each method, reference), each
    tile the same crop, enlarged by pixel repetition to at least ``min_tile`` pixels and captioned below.

    ``rows``: ``[(row_label, [(caption, image), ...]), ...]`` with images ``(H, W)`` or ``(H, W, C)`` in [0, 1]
    (``C`` 1 or 3; other channel counts show their first channel).  ``box``: ``(top, left, height, width)`` of the
    crop, the whole image by default.  Writes ``<out>/<name>.png`` and returns its path (None without rows)."""
    from PIL import ImageDraw
    rows = [(label, panels) for label, panels in rows if panels]
    if not rows:
        return None
    font, ascii_only = _caption_font()

    def tile(img):
        a = np.asarray(img, np.float32)
        if a.ndim == 3 and a.shape[-1] not in (1, 3):
            a = a[..., :1]
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        if box is not None:
            t, l, h, w = box
            a = a[t:t + h, l:l + w]
        k = max(1, -(-min_tile // max(min(a.shape[:2]), 1)))
        a = np.repeat(np.repeat(a, k, axis=0), k, axis=1)
        return Image.fromarray(np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)).convert("RGB")

    grid = [(label, [(cap, tile(img)) for cap, img in panels]) for label, panels in rows]
    cap_h, pad, label_h = 28, 6, 16
    tw = max(t.width for _, ps in grid for _, t in ps)
    th = max(t.height for _, ps in grid for _, t in ps)
    ncol = max(len(ps) for _, ps in grid)
    fig = Image.new("RGB", (pad + ncol * (tw + pad), pad + len(grid) * (label_h + th + cap_h + pad)), "white")
    draw = ImageDraw.Draw(fig)
    y = pad
    for label, panels in grid:
        draw.text((pad, y), _ascii(str(label)) if ascii_only else str(label), fill="black", font=font)
        y += label_h
        for j, (cap, t) in enumerate(panels):
            x = pad + j * (tw + pad)
            fig.paste(t, (x, y))
            for k, line in enumerate(str(cap).split("\n")[:2]):
                draw.text((x, y + th + 2 + 12 * k), _ascii(line) if ascii_only else line, fill="black", font=font)
        y += th + cap_h + pad
    out = Path(out_dir) if out_dir else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.save(path)
    print(f"wrote {path}")
    return path


def figure_link(name: str, out_dir: str | None, alt: str, what: str) -> list:
    """Markdown lines linking ``<out>/<name>.png`` (a :func:`crop_figure`) under the sentence ``what``; no lines when
    the figure does not exist."""
    if not ((Path(out_dir) if out_dir else RESULTS) / f"{name}.png").exists():
        return []
    return ["", f"{what}:", "", f"![{alt}]({name}.png)"]


def write_results(name: str, fig: dict, markdown: str, out_dir: str | None = None) -> tuple:
    """Write ``<out>/<name>.json`` and ``<out>/<name>.md``; return their paths.  The JSON gets the command line,
    the git commit and whether the code differed from it (``code_modified``) unless the script recorded them."""
    from jaxreg._provenance import code_modified
    fig = dict(fig)
    fig.setdefault("command", " ".join(["python"] + sys.argv))
    fig.setdefault("commit", git_commit())
    fig.setdefault("code_modified", code_modified(HERE.parent))
    out = Path(out_dir) if out_dir else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    jpath, mpath = out / f"{name}.json", out / f"{name}.md"
    with open(jpath, "w") as f:
        json.dump(_jsonable(fig), f, indent=2)
    with open(mpath, "w") as f:
        f.write(markdown.rstrip() + "\n")
    print(f"wrote {jpath} and {mpath}")
    return jpath, mpath
