"""The ``jaxreg`` command: ``demo``, ``restore``, ``sweep``, ``train-critic`` and ``methods``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# Methods the demo prefers, best first; the first one registered is used (``--method`` picks another).
# DIP is not the default: on a CPU it needs minutes where TV needs seconds.
DEMO_PREFERENCE = ("tv", "tikhonov")
# Settings the demo uses for each method on σ = 0.1 denoising (no ground truth involved);
# tikhonov's lam is instead chosen per image by SURE (``jaxreg.methods.tikhonov.sure_lam``).
DEMO_PARAMS = {"tikhonov": {"lam": 0.5}, "tv": {"lam": 0.08}}
TASKS = ("denoise", "inpaint", "deblur", "jpeg", "smooth", "sr")


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


def parse_settings(items, parameters=None, method: str = "") -> dict:
    """``--set key=value`` items as a dict.

    With ``parameters`` (``Method.parameters()``), values of known parameters are
    checked against their defaults, so a bad value fails here with a clear
    message instead of deep inside tracing: hyperparameters (pytree leaves) must
    be numbers, tuple-valued parameters take comma-separated values (``axes=0,1``),
    string-valued ones keep the text as is and boolean ones need true/false.
    Unknown names are left for ``jaxreg.methods.get`` to report.
    """
    out = {}
    for item in items or ():
        k, sep, v = item.partition("=")
        k = k.strip()
        if not sep or not k:
            raise CLIError(f"--set expects key=value, got {item!r}")
        if parameters is not None and k in parameters:
            out[k] = _coerce_setting(k, v, *parameters[k][:2], method=method)
        else:
            out[k] = parse_value(v)
    return out


def _coerce_setting(key: str, text: str, default, is_leaf: bool, method: str = ""):
    where = f"parameter {key!r}" + (f" of method {method!r}" if method else "")
    if isinstance(default, (tuple, list)):
        parts = [t for t in text.split(",") if t.strip()]
        return tuple(parse_value(t.strip()) for t in parts)
    if isinstance(default, str):
        return text.strip()
    value = parse_value(text)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise CLIError(f"{where} expects true or false, got {text!r}")
        return value
    if is_leaf and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise CLIError(f"{where} expects a number, got {text!r}")
    return value


def parse_grid(items, parameters, method: str, option: str = "--grid") -> dict:
    """``NAME=a:b:n`` (n log-spaced values from a to b) or ``NAME=v1,v2,…`` items as a grid dict, each name checked
    to be a hyperparameter (a pytree leaf) of ``method`` and each value a finite number."""
    grid = {}
    for item in items or ():
        k, sep, v = item.partition("=")
        k = k.strip()
        if not sep or not k or not v.strip():
            raise CLIError(f"{option} expects name=a:b:n or name=v1,v2,..., got {item!r}")
        if k not in parameters:
            leaves = sorted(n for n, spec in parameters.items() if spec[1])
            raise CLIError(f"{option}: {k!r} is not a parameter of method {method!r}; its hyperparameters: "
                           f"{', '.join(leaves)}")
        if not parameters[k][1]:
            raise CLIError(f"{option}: {k!r} is a structural setting of {method!r}, not a hyperparameter; use --set")
        if k in grid:
            raise CLIError(f"{option}: {k!r} is given twice")
        try:
            if ":" in v:
                parts = v.split(":")
                if len(parts) != 3:
                    raise ValueError
                a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
                if not (a > 0 and b > 0 and n >= 2):
                    raise CLIError(f"{option} {k}=a:b:n needs a, b > 0 (log-spaced) and n >= 2, got {v!r}")
                values = np.geomspace(a, b, n)
            else:
                values = np.asarray([float(t) for t in v.split(",") if t.strip()])
        except ValueError:
            raise CLIError(f"{option} {k}: expected a:b:n or comma-separated numbers, got {v!r}") from None
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise CLIError(f"{option} {k}: no finite values in {v!r}")
        grid[k] = values
    return grid


def parse_tune(items, parameters, method: str) -> dict:
    """``--tune name=a:b:n`` (n log-spaced values from a to b) or ``name=v1,v2,…`` items as a grid dict."""
    return parse_grid(items, parameters, method, option="--tune")


def _same_file(a: str, b: str) -> bool:
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def _check_output_path(path: str, what: str = "output") -> None:
    """Fail before any work when ``path`` cannot be written (extension, folder)."""
    from . import io
    ext = os.path.splitext(path)[1].lower()
    if ext not in io.IMAGE_EXTENSIONS:
        raise CLIError(f"{what} {path!r} has unsupported extension {ext or '(none)'!r}; "
                       f"use one of {', '.join(io.IMAGE_EXTENSIONS)}")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CLIError(f"cannot write {what} {path!r}: directory {directory!r} does not exist")


def _read_aux(path: str, option: str):
    """Read a ``--mask``/``--kernel`` file, naming the option in errors."""
    from . import io
    try:
        return np.asarray(io.imread(path))
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(f"{option}: {err}") from None


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
        img = np.asarray(io.imread(f16))
        s = min(img.shape[:2])
        top, left = (img.shape[0] - s) // 2, (img.shape[1] - s) // 2
        u8 = np.uint8(np.clip(img[top:top + s, left:left + s], 0, 1) * 255 + 0.5)
        pil = Image.fromarray(u8[..., 0] if u8.shape[-1] == 1 else u8).resize((size, size), Image.LANCZOS)
        arr = np.asarray(pil, np.float32) / 255.0
        return (arr[..., None] if arr.ndim == 2 else arr), "DIP F-16"
    import jax
    print("note: scikit-image is not installed; using synthetic clip art (pip install scikit-image for a photo)")
    return data.clipart(jax.random.key(0), (size, size, 3)), "synthetic clip art"


# ------------------------------------------------------------------------------------------------
# commands
# ------------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    import jax
    import jaxreg
    from .methods.tikhonov import sure_lam
    from . import data, io, metrics

    t_start = time.perf_counter()
    if args.size < 8:
        raise CLIError(f"--size must be at least 8 pixels, got {args.size}")
    if args.iters < 1:
        raise CLIError(f"--iters must be at least 1, got {args.iters}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a directory")
    available = jaxreg.methods.names()
    if args.method is not None and args.method not in available:
        raise CLIError(f"unknown method {args.method!r}; available: {', '.join(available)}")
    name = args.method or next((n for n in DEMO_PREFERENCE if n in available), None) or available[0]
    clean, source = _demo_image(args.size)
    sigma = 0.1
    noisy = data.add_gaussian_noise(jax.random.key(args.seed), clean, sigma)
    problem = jaxreg.problems.Denoise(noisy, sigma=sigma)
    params = dict(DEMO_PARAMS.get(name, {}))
    if name == "tikhonov":
        params["lam"] = sure_lam(noisy, sigma)
    method = jaxreg.methods.get(name, **params)
    settings = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in params.items())
    print(f"jaxreg demo: {source} {tuple(clean.shape)}, Gaussian noise σ = {sigma}, method {name!r}"
          + (f" ({settings})" if settings else ""))
    result = jaxreg.solve(problem, method, key=jax.random.key(args.seed), num_iters=args.iters,
                          progress=not args.quiet)
    restored = np.clip(np.asarray(result.image), 0, 1)
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
    from . import problems
    if args.factor is not None and task != "sr":
        raise CLIError(f"--factor applies to --task sr, not {task!r}")
    if task == "denoise":
        return problems.Denoise(y, sigma=args.sigma)
    if task == "jpeg":
        return problems.JPEGArtifacts(y)
    if task == "smooth":
        return problems.Smooth(y)
    if task == "inpaint":
        if not args.mask:
            raise CLIError("--task inpaint needs --mask (1 = observed, 0 = missing)")
        mask = _read_aux(args.mask, "--mask")
        if mask.shape[-1] != y.shape[-1] and mask.shape[-1] != 1:
            mask = mask[..., :1]
        return problems.Inpaint(y, mask)
    if task == "deblur":
        if not args.kernel:
            raise CLIError("--task deblur needs --kernel (a .npy array, or an image normalised to sum 1)")
        kernel = _read_aux(args.kernel, "--kernel")
        if kernel.shape[-1] not in (1, 3):
            raise CLIError(f"--kernel: {args.kernel!r} must hold one 2-D kernel (an image or a (kh, kw) array), "
                           f"got shape {kernel.shape}")
        kernel = kernel.mean(axis=-1)  # an RGB kernel image counts as gray
        if not args.kernel.lower().endswith(".npy"):
            total = kernel.sum()
            kernel = kernel / total if total > 0 else kernel
        return problems.Deblur(y, kernel, boundary=args.boundary or "circular", sigma=args.sigma)
    if task == "sr":
        if args.factor is None:
            raise CLIError("--task sr needs --factor (the integer magnification, e.g. --factor 4)")
        from .operators.resample import KERNELS
        kernel = args.kernel or "lanczos2"
        if kernel not in KERNELS:
            kernel = _read_aux(kernel, "--kernel")
            if kernel.shape[-1] not in (1, 3):
                raise CLIError(f"--kernel: {args.kernel!r} must hold one 2-D kernel, got shape {kernel.shape}")
            kernel = kernel.mean(axis=-1)
            if not args.kernel.lower().endswith(".npy"):
                kernel = kernel / kernel.sum() if kernel.sum() > 0 else kernel
        return problems.SuperResolution(y, args.factor, kernel, boundary=args.boundary or "replicate",
                                        sigma=args.sigma)
    raise CLIError(f"unknown task {task!r}")  # argparse prevents this


def _sr_preset(method: str, factor, default_iters: int):
    """``(settings, iterations)`` of the authors' super-resolution code for ``method`` (DIP's notebook, the DRP
    script); none for other methods."""
    from .methods import dip, drp
    if method in ("dip", "dip-tv", "dip-tv-admm"):
        name = "sr-x8" if factor is not None and int(factor) >= 8 else "sr"
        return dict(dip.PRESETS[name]), dip.PRESET_ITERS[name]
    if method == "drp":
        return dict(drp.PRESETS["sr"]), drp.PRESET_ITERS["sr"]
    return {}, default_iters


def cmd_restore(args) -> int:
    import jax
    import jaxreg
    from . import io

    # every check runs before the (slow) compilation
    if _same_file(args.input, args.output) and not args.force:
        raise CLIError(f"refusing to overwrite the input {args.input!r}; pass --force to do so")
    _check_output_path(args.output)
    cls = jaxreg.methods.method_class(args.method)
    settings = parse_settings(args.set, cls.parameters(), args.method)
    if args.critic:
        if "critic" not in cls.parameters():
            raise CLIError(f"--critic applies to methods with a learned critic (alr), not {args.method!r}")
        settings["critic"] = args.critic
    default_iters = getattr(cls, "default_iters", None) or 200
    if args.task == "sr":  # the deep priors start from their authors' super-resolution settings
        preset, default_iters = _sr_preset(args.method, args.factor, default_iters)
        settings = {**preset, **settings}
    method = jaxreg.methods.get(args.method, **settings)
    iters = args.iters if args.iters is not None else default_iters
    y = io.imread(args.input)
    if os.path.splitext(args.output)[1].lower() != ".npy" and y.shape[-1] not in (1, 3):
        raise CLIError(f"input {args.input!r} has {y.shape[-1]} channels; only 1 or 3 can be written to "
                       f"{args.output!r} (write a .npy instead)")
    problem = _build_problem(args.task, y, args)
    if args.tune:
        if args.checkpoint:
            raise CLIError("--checkpoint applies to a single run, not to --tune")
        grid = parse_tune(args.tune, cls.parameters(), args.method)
        tuned = jaxreg.tune(problem, method, grid, key=jax.random.key(args.seed), num_iters=iters,
                            criterion=args.criterion, progress=not args.quiet)
        names = list(tuned.grid)
        print(f"{args.method}: {tuned.criterion} (estimated MSE, no reference) over the grid:")
        for i in range(tuned.values.size):
            point = "  ".join(f"{n}={tuned.grid[n][i]:.4g}" for n in names)
            mark = "  <- chosen" if i == tuned.index else ""
            print(f"  {point}  {tuned.criterion} {tuned.values[i]:.4g}{mark}")
        print("chosen: " + "  ".join(f"{n}={v:.4g}" for n, v in tuned.params.items()))
        io.imwrite(args.output, np.clip(np.asarray(tuned.image), 0, 1))
        t = tuned.sweep.timings
        print(f"{args.method}: {tuned.values.size} grid points; compile {t['compile_s']:.2f} s, "
              f"run {t['run_s']:.2f} s; wrote {args.output}")
        return 0
    if args.criterion:
        raise CLIError("--criterion goes with --tune (to stop by a criterion: --set stopping=sure)")
    if args.checkpoint_every is not None and not args.checkpoint:
        raise CLIError("--checkpoint-every goes with --checkpoint DIR")
    result = jaxreg.solve(problem, method, key=jax.random.key(args.seed), num_iters=iters,
                          progress=not args.quiet, checkpoint=args.checkpoint,
                          checkpoint_every=100 if args.checkpoint_every is None else args.checkpoint_every)
    io.imwrite(args.output, np.clip(np.asarray(result.image), 0, 1))
    t = result.timings
    resumed = f"resumed at iteration {t['resumed_from']}; " if t.get("resumed_from") else ""
    print(f"{args.method}: {result.num_iters} iterations ({result.status.name}); {resumed}compile "
          f"{t['compile_s']:.2f} s, run {t['run_s']:.2f} s; wrote {args.output}")
    return 0


def cmd_train_critic(args) -> int:
    import jax
    from .learn import ImageBank, parse_sigma, train_patch_critic
    from .nets import CriticCNN15
    from .regularizers.critic import LearnedCritic

    out = Path(args.output)
    if out.suffix.lower() != ".msgpack":
        raise CLIError(f"-o/--output {args.output!r} must end in .msgpack")
    if out.is_dir() or not out.resolve().parent.is_dir():
        raise CLIError(f"cannot write {args.output!r}: not a file in an existing directory")
    if args.degraded and args.sigma:
        raise CLIError("give either --degraded DIR or --sigma, not both")
    sigma = parse_sigma(args.sigma or "0.05,0.30")
    for name in ("steps", "batch"):
        if getattr(args, name) < 1:
            raise CLIError(f"--{name} must be at least 1, got {getattr(args, name)}")
    module = CriticCNN15(variant=args.variant)
    clean = ImageBank.from_folder(args.clean, max_side=args.max_side)
    degraded = ImageBank.from_folder(args.degraded, max_side=args.max_side) if args.degraded else None
    what = f"degraded images from {args.degraded}" if degraded else f"Gaussian noise σ ∈ {list(sigma)}"
    print(f"train-critic: {len(clean)} clean images from {args.clean}, {what}; {args.steps} steps, "
          f"batch {args.batch}, critic {args.variant} ({module.receptive_field()}×{module.receptive_field()} patches)")
    result = train_patch_critic(jax.random.key(args.seed), clean, module=module, degraded=degraded,
                                sigma=sigma, steps=args.steps, batch=args.batch, chunk=min(500, args.steps),
                                progress=not args.quiet)
    info = dict(result.settings, seed=args.seed, clean_dir=str(args.clean), degraded_dir=args.degraded,
                compile_s=round(result.timings["compile_s"], 2), run_s=round(result.timings["run_s"], 2))
    LearnedCritic.from_params(module, result.params, training=info).save(out)
    w = float(np.mean(result.history["wasserstein"][-100:]))
    print(f"  compile {result.timings['compile_s']:.1f} s, run {result.timings['run_s']:.1f} s; "
          f"W estimate (last 100 steps) {w:.4f}; wrote {out}")
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
    parser = argparse.ArgumentParser(
        prog="jaxreg", description="Regularized image restoration in JAX.",
        epilog="Compiled programs are cached in ~/.cache/jaxreg/xla ($XDG_CACHE_HOME/jaxreg/xla), so a command "
               "runs faster the second time; set JAXREG_NO_COMPILATION_CACHE=1 to turn this off, or "
               "JAX_COMPILATION_CACHE_DIR to choose the directory.")
    sub = parser.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="degrade a sample photo, restore it, write a comparison PNG")
    d.add_argument("--out", default="jaxreg-demo", help="output folder (default: jaxreg-demo)")
    d.add_argument("--size", type=int, default=256, help="image side in pixels (default 256)")
    d.add_argument("--iters", type=int, default=200, help="maximum iterations (default 200)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--method", help="method to run (default: tv); e.g. --method dip --size 64 --iters 1500")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("restore", help="restore one image file")
    r.add_argument("input")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--task", required=True, choices=TASKS)
    r.add_argument("--method", required=True, help="a name from `jaxreg methods`")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="method parameter (repeatable)")
    r.add_argument("--mask", help="inpainting mask image/.npy: 1 observed, 0 missing")
    r.add_argument("--kernel", help="deblur: blur kernel .npy (or image, normalised to sum 1); sr: the anti-aliasing "
                                    "kernel, lanczos2 (default), bicubic, box or a .npy summing to 1")
    r.add_argument("--factor", type=int, help="sr: integer magnification (the output is factor times larger)")
    r.add_argument("--boundary", choices=("circular", "replicate"),
                   help="image boundary of the forward model (default: circular for deblur, replicate for sr)")
    r.add_argument("--sigma", type=float, help="noise level on the [0, 1] scale, if known")
    r.add_argument("--iters", type=int, help="maximum iterations (default: 50 for alr; for sr 2000 for dip "
                                             "(4000 at x8) and 5000 for drp, their authors' values; 200 otherwise)")
    r.add_argument("--critic", help="alr: a critic checkpoint from `jaxreg train-critic` (default: the shipped one)")
    r.add_argument("--tune", action="append", metavar="NAME=A:B:N",
                   help="choose a hyperparameter without the clean image: N log-spaced values from A to B "
                        "(or NAME=v1,v2,...; repeatable: a product grid), scored by --criterion")
    r.add_argument("--criterion", choices=("sure", "gsure", "psure", "holdout", "j-invariance"),
                   help="no-reference criterion for --tune (default: sure with --sigma, holdout for inpaint, "
                        "j-invariance for denoising without --sigma)")
    r.add_argument("--checkpoint", metavar="DIR", help="write run checkpoints to DIR; running the same command "
                                                       "again resumes a killed run where it stopped")
    r.add_argument("--checkpoint-every", type=int, metavar="N", help="iterations between checkpoints (default 100)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--force", action="store_true", help="allow overwriting the input file")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_restore)

    t = sub.add_parser("train-critic", help="train an ALR patch critic (WGAN-GP) on image folders")
    t.add_argument("--clean", required=True, metavar="DIR", help="folder of clean images")
    t.add_argument("--degraded", metavar="DIR", help="folder of degraded images (unpaired); else Gaussian noise")
    t.add_argument("--sigma", help="noise level σ or range a,b drawn per patch (default 0.05,0.30)")
    t.add_argument("-o", "--output", required=True, help="checkpoint to write (.msgpack)")
    t.add_argument("--steps", type=int, default=100_000, help="training steps (default 100000, the paper's)")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--variant", default="code", choices=("code", "paper"), help="critic network (default code)")
    t.add_argument("--max-side", type=int, help="shrink larger images to this longer side")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--quiet", action="store_true", help="no progress lines")
    t.set_defaults(func=cmd_train_critic)

    from ._sweep_command import add_parser as add_sweep_parser
    add_sweep_parser(sub)

    m = sub.add_parser("methods", help="list methods; --help NAME shows one", add_help=False)
    m.add_argument("-h", "--help", dest="help_name", nargs="?", const="", default=None, metavar="NAME")
    m.set_defaults(func=cmd_methods)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["sweep", "merge"]:
        from ._sweep_command import cmd_merge
        try:
            return cmd_merge(argv[2:])
        except (CLIError, ValueError, OSError) as err:
            print(f"jaxreg: error: {err}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "methods" and args.help_name == "":
        print("usage: jaxreg methods [--help NAME]\n  list the methods, or show the parameters of NAME")
        return 0
    if args.command != "methods":
        from ._cache import enable_persistent_cache
        enable_persistent_cache()  # a second run of the same command loads its executables instead of compiling
    try:
        return args.func(args)
    except (CLIError, ValueError, OSError) as err:  # OSError: missing/unreadable/unwritable files
        print(f"jaxreg: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
