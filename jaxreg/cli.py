"""The ``jaxreg`` command: ``demo``, ``restore`` and ``methods``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# Methods the demo prefers, best first; the first one registered is used.
DEMO_PREFERENCE = ("dip", "tv", "tikhonov")
# Settings the demo uses for each method on σ = 0.1 denoising (no ground truth involved).
DEMO_PARAMS = {"tikhonov": {"lam": 1.5}, "tv": {"lam": 0.08}}
TASKS = ("denoise", "inpaint", "deblur", "jpeg", "smooth")


class CLIError(Exception):
    """A usage error reported as ``jaxreg: error: ...`` with exit status 2."""


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def parse_value(text: str):
    """``--set`` values: int, float, true/false, or the string itself."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_settings(items) -> dict:
    out = {}
    for item in items or ():
        if "=" not in item:
            raise CLIError(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v)
    return out


def _same_file(a: str, b: str) -> bool:
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def side_by_side(images, gap: int = 4):
    """Concatenate ``(H, W, C)`` images horizontally with white gaps (channels promoted to 3)."""
    h = max(im.shape[0] for im in images)
    tiles = []
    for im in images:
        im = np.asarray(im, np.float32)
        if im.shape[-1] == 1:
            im = np.repeat(im, 3, axis=-1)
        pad = np.ones((h, im.shape[1] + gap, 3), np.float32)
        pad[:im.shape[0], :im.shape[1]] = np.clip(im, 0, 1)
        tiles.append(pad)
    return np.concatenate(tiles, axis=1)[:, :-gap]


def _demo_image(size: int):
    """A real photo (scikit-image's astronaut, else the DIP F-16 from ../shared), else synthetic clip art."""
    from . import data, io
    try:
        return data.sample_image("astronaut", size=size), "scikit-image astronaut"
    except ImportError:
        pass
    here = Path(__file__).resolve().parents[1]
    f16 = here.parent / "shared" / "data" / "dip" / "denoising_F16_GT.png"
    if f16.exists():
        from PIL import Image
        img = io.imread(f16)
        pil = Image.fromarray(np.uint8(np.asarray(img) * 255 + 0.5)).resize((size, size), Image.LANCZOS)
        return np.asarray(pil, np.float32) / 255.0, "DIP F-16"
    import jax
    print("note: scikit-image is not installed; using synthetic clip art (pip install scikit-image for a photo)")
    return data.clipart(jax.random.key(0), (size, size, 3)), "synthetic clip art"


# ------------------------------------------------------------------------------------------------
# commands
# ------------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    import jax
    import jaxreg
    from . import data, io, metrics

    t_start = time.perf_counter()
    name = next(n for n in DEMO_PREFERENCE if n in jaxreg.methods.names())
    clean, source = _demo_image(args.size)
    sigma = 0.1
    noisy = data.add_gaussian_noise(jax.random.key(args.seed), clean, sigma)
    problem = jaxreg.problems.Denoise(noisy, sigma=sigma)
    method = jaxreg.methods.get(name, **DEMO_PARAMS.get(name, {}))
    print(f"jaxreg demo: {source} {tuple(clean.shape)}, Gaussian noise σ = {sigma}, method {name!r}")
    result = jaxreg.solve(problem, method, key=jax.random.key(args.seed), num_iters=args.iters,
                          progress=not args.quiet)
    restored = np.clip(np.asarray(result.image), 0, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    io.imwrite(out / "clean.png", clean)
    io.imwrite(out / "input.png", np.clip(np.asarray(noisy), 0, 1))
    io.imwrite(out / "output.png", restored)
    io.imwrite(out / "comparison.png", side_by_side([clean, np.clip(np.asarray(noisy), 0, 1), restored]))
    for label, img in (("input ", np.clip(np.asarray(noisy), 0, 1)), ("output", restored)):
        p = float(metrics.psnr(img, clean, data_range=1.0))
        s = float(metrics.ssim(img, clean, data_range=1.0))
        print(f"  {label}: PSNR {p:6.2f} dB   SSIM {s:.4f}")
    t = result.timings
    print(f"  {result.num_iters} iterations ({result.status.name}); compile {t['compile_s']:.2f} s, "
          f"run {t['run_s']:.2f} s, total {time.perf_counter() - t_start:.2f} s")
    print(f"  wrote {out}/clean.png, input.png, output.png, comparison.png (clean | input | output)")
    return 0


def _build_problem(task, y, args):
    from . import io, problems
    if task == "denoise":
        return problems.Denoise(y, sigma=args.sigma)
    if task == "jpeg":
        return problems.JPEGArtifacts(y)
    if task == "smooth":
        return problems.Smooth(y)
    if task == "inpaint":
        if not args.mask:
            raise CLIError("--task inpaint needs --mask (1 = observed, 0 = missing)")
        mask = np.asarray(io.imread(args.mask))
        if mask.shape[-1] != y.shape[-1] and mask.shape[-1] != 1:
            mask = mask[..., :1]
        return problems.Inpaint(y, mask)
    if task == "deblur":
        if not args.kernel:
            raise CLIError("--task deblur needs --kernel (a .npy array, or an image normalised to sum 1)")
        kernel = np.asarray(io.imread(args.kernel))[..., 0]
        if not args.kernel.endswith(".npy"):
            total = kernel.sum()
            kernel = kernel / total if total > 0 else kernel
        return problems.Deblur(y, kernel, boundary=args.boundary)
    raise CLIError(f"unknown task {task!r}")  # argparse prevents this


def cmd_restore(args) -> int:
    import jax
    import jaxreg
    from . import io

    if os.path.exists(args.output) and _same_file(args.input, args.output) and not args.force:
        raise CLIError(f"refusing to overwrite the input {args.input!r}; pass --force to do so")
    method = jaxreg.methods.get(args.method, **parse_settings(args.set))
    y = io.imread(args.input)
    problem = _build_problem(args.task, y, args)
    result = jaxreg.solve(problem, method, key=jax.random.key(args.seed), num_iters=args.iters,
                          progress=not args.quiet)
    io.imwrite(args.output, np.clip(np.asarray(result.image), 0, 1))
    t = result.timings
    print(f"{args.method}: {result.num_iters} iterations ({result.status.name}); compile {t['compile_s']:.2f} s, "
          f"run {t['run_s']:.2f} s; wrote {args.output}")
    return 0


def cmd_methods(args) -> int:
    from . import methods
    if args.help_name is None:
        print("Methods (jaxreg methods --help NAME shows parameters):")
        for n in methods.names():
            print(f"  {n:14s} {methods.method_class(n).paper}")
        return 0
    cls = methods.method_class(args.help_name)
    doc = (cls.__doc__ or "").strip().splitlines()
    print(f"{cls.name}: {doc[0] if doc else ''}\n  paper: {cls.paper}\n  parameters (--set name=value):")
    for pname, (default, is_leaf, help_) in cls.parameters().items():
        kind = "hyperparameter" if is_leaf else "structural"
        print(f"    {pname:12s} default {default!r:12s} {kind}{'  ' + help_ if help_ else ''}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxreg", description="Regularized image restoration in JAX.")
    sub = parser.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="degrade a sample photo, restore it, write a comparison PNG")
    d.add_argument("--out", default="jaxreg-demo", help="output folder (default: jaxreg-demo)")
    d.add_argument("--size", type=int, default=256, help="image side in pixels (default 256)")
    d.add_argument("--iters", type=int, default=200, help="maximum iterations (default 200)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("restore", help="restore one image file")
    r.add_argument("input")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--task", required=True, choices=TASKS)
    r.add_argument("--method", required=True, help="a name from `jaxreg methods`")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="method parameter (repeatable)")
    r.add_argument("--mask", help="inpainting mask image/.npy: 1 observed, 0 missing")
    r.add_argument("--kernel", help="blur kernel .npy (or image, normalised to sum 1)")
    r.add_argument("--boundary", default="circular", choices=("circular", "replicate"))
    r.add_argument("--sigma", type=float, help="noise level on the [0, 1] scale, if known")
    r.add_argument("--iters", type=int, default=200, help="maximum iterations (default 200)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--force", action="store_true", help="allow overwriting the input file")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_restore)

    m = sub.add_parser("methods", help="list methods; --help NAME shows one", add_help=False)
    m.add_argument("-h", "--help", dest="help_name", nargs="?", const="", default=None, metavar="NAME")
    m.set_defaults(func=cmd_methods)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "methods" and args.help_name == "":
        print("usage: jaxreg methods [--help NAME]\n  list the methods, or show the parameters of NAME")
        return 0
    try:
        return args.func(args)
    except (CLIError, ValueError, FileNotFoundError) as err:
        print(f"jaxreg: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
