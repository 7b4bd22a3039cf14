"""One Adam step of the DIP default network: jaxreg vs a PyTorch replica of the official network, same CPU.

The step is what DIP, DIP-TV, DIP-ℓ0 and NGR repeat thousands of times: forward of ``jaxreg.nets.Skip()``
(32 → 3 channels, 5 scales of 128, skip 4, bilinear, reflection, sigmoid) on a ``U[0, 0.1)`` input, MSE against a
target, backward, ``optax.adam(0.01)`` update — jitted, parameters and optimiser state donated.  The PyTorch side
is ``_torch_skip.skip_replica()`` (the official layer sequence, BatchNorm in training mode) with the same
weights, ``torch.optim.Adam(lr=0.01)``, ``zero_grad / forward / backward / step``.

For each size the two are run **interleaved in one process** (jaxreg, torch, jaxreg, …; ``--repeats`` each,
after one warm-up call each) and the medians compared, so load from other processes hits both alike.  Also:

* ``direct``: the same jaxreg network with ``conv_algorithm="direct"`` (every convolution by
  ``lax.conv_general_dilated``, i.e. a straightforward Flax network), in the same interleaving;
* the forward outputs of jaxreg and the replica with the same weights (max |Δ|);
* ``--components``: forward + backward of single layers at the 256² shapes, jaxreg variants vs torch;
* ``--profile``: where the time of one jaxreg step goes (XLA CPU op timings from ``jax.profiler``, grouped by
  layer type; uses ``jaxlib``'s profile reader, skipped if unavailable).

    pip install torch==2.13.0          # CPU wheel; torch is not a jaxreg dependency
    PYTHONPATH=. python benchmarks/dip_step.py --sizes 64 128 256 --repeats 7 --components --profile

Writes ``benchmarks/results/dip_step.{json,md}``.  No XLA flag is set: the figures are for JAX's defaults.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp
import optax

from jaxreg import nets
from jaxreg.nets import layers
from jaxreg.nets.conv import conv2d, pad_spatial

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

try:
    import torch
    import _torch_skip as T
except ImportError:  # pragma: no cover - depends on the environment
    torch = T = None


# ------------------------------------------------------------------------------------------------ steps
def jax_step(size, algorithm="auto"):
    """Compiled Adam step of the default Skip net; returns a dict with the callable, state and timings."""
    net = nets.Skip(conv_algorithm=algorithm)
    z = nets.uniform_noise(jax.random.key(1), 32, (size, size))
    target = jax.random.uniform(jax.random.key(2), (1, size, size, 3))
    params = jax.jit(net.init)(jax.random.key(0), z)["params"]
    opt = optax.adam(0.01)

    def loss(p):
        return jnp.mean((net.apply({"params": p}, z) - target) ** 2)

    def step(p, s):
        value, grads = jax.value_and_grad(loss)(p)
        updates, s = opt.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    state = [params, opt.init(params)]
    copy = jax.tree_util.tree_map(jnp.copy, params)  # kept for the replica (the step donates its inputs)
    t0 = time.perf_counter()
    compiled = jax.jit(step, donate_argnums=(0, 1)).lower(*state).compile()
    compile_s = time.perf_counter() - t0

    def run():
        p, s, value = compiled(*state)
        state[:] = [p, s]
        return jax.block_until_ready(value)

    t0 = time.perf_counter()
    run()
    first_s = time.perf_counter() - t0
    forward = jax.jit(net.apply)({"params": copy}, z)
    return {"run": run, "params": copy, "z": z, "target": target, "forward": forward, "compiled": compiled,
            "compile_s": compile_s, "first_call_s": first_s}


def torch_step(js):
    model, named = T.skip_replica()
    T.copy_flax_params(js["params"], named)
    z, target = T.to_torch(js["z"]), T.to_torch(js["target"])
    with torch.no_grad():
        max_diff = float(np.abs(T.to_numpy(model(z)) - np.asarray(js["forward"])).max())
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def run():
        opt.zero_grad()
        loss = torch.mean((model(z) - target) ** 2)
        loss.backward()
        opt.step()
        return loss.detach()

    t0 = time.perf_counter()
    run()
    return {"run": run, "first_call_s": time.perf_counter() - t0, "forward_max_abs_diff": max_diff}


def interleaved(runners: dict, repeats: int) -> dict:
    times = {k: [] for k in runners}
    for _ in range(repeats):
        for k, fn in runners.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: {"median_s": statistics.median(v), "all_s": v} for k, v in times.items()}


# ------------------------------------------------------------------------------------------------ components
def component_cases(size):
    """(name, jaxreg variants {label: fn(x)}, torch fn(x) or None, input shape NHWC) at the 256² layer shapes."""
    rng = np.random.default_rng(0)
    w3 = jnp.asarray(rng.uniform(-0.03, 0.03, (3, 3, 132, 128)), jnp.float32)
    w3s = jnp.asarray(rng.uniform(-0.06, 0.06, (3, 3, 32, 128)), jnp.float32)
    w1 = jnp.asarray(rng.uniform(-0.09, 0.09, (1, 1, 128, 128)), jnp.float32)
    ones = jnp.ones((132,))
    zeros = jnp.zeros((132,))
    half = size // 2

    def bn_autodiff(x):
        m = jnp.mean(x, (0, 1, 2))
        return (x - m) * jax.lax.rsqrt(jnp.mean((x - m) ** 2, (0, 1, 2)) + 1e-5)

    def resize(x):
        n, h, w, c = x.shape
        return jax.image.resize(x, (n, 2 * h, 2 * w, c), "bilinear")

    cases = [
        (f"3×3 conv 132→128 at {size}² (reflection)", {
            "direct (lax.conv)": lambda x: conv2d(x, w3, algorithm="direct"),
            "Winograd F(2,3) (default)": lambda x: conv2d(x, w3, algorithm="winograd")}, (1, size, size, 132)),
        (f"3×3 conv 32→128 stride 2 at {size}²", {
            "direct (default)": lambda x: conv2d(x, w3s, stride=2)}, (1, size, size, 32)),
        (f"1×1 conv 128→128 at {size}²", {
            "direct (lax.conv)": lambda x: conv2d(x, w1, algorithm="direct"),
            "matrix product (default)": lambda x: conv2d(x, w1)}, (1, size, size, 128)),
        (f"BatchNorm 132 ch at {size}²", {
            "autodiff of the formula": bn_autodiff,
            "written-out backward (default)": lambda x: layers.batch_norm(x, ones, zeros)}, (1, size, size, 132)),
        (f"bilinear ×2, 128 ch, {half}² → {size}²", {
            "jax.image.resize": resize,
            "shifted slices (default)": lambda x: layers.upsample2x(x, "bilinear")}, (1, half, half, 128)),
        (f"reflection pad 1, 132 ch at {size}²", {
            "jnp.pad(mode='reflect') (default)": lambda x: pad_spatial(x, 1, "reflection")},
         (1, size, size, 132)),
        (f"LeakyReLU(0.2), 128 ch at {size}²", {
            "jax.nn.leaky_relu (default)": lambda x: jax.nn.leaky_relu(x, 0.2)}, (1, size, size, 128)),
    ]
    torch_fns = None
    if torch is not None:
        conv3 = torch.nn.Sequential(torch.nn.ReflectionPad2d(1), torch.nn.Conv2d(132, 128, 3))
        conv3s = torch.nn.Sequential(torch.nn.ReflectionPad2d(1), torch.nn.Conv2d(32, 128, 3, 2))
        torch_fns = [conv3, conv3s, torch.nn.Conv2d(128, 128, 1), torch.nn.BatchNorm2d(132),
                     torch.nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.ReflectionPad2d(1),
                     torch.nn.LeakyReLU(0.2)]
    return [(name, variants, torch_fns[i] if torch_fns else None, shape)
            for i, (name, variants, shape) in enumerate(cases)]


def run_components(size, repeats):
    rows = []
    for name, variants, tfn, shape in component_cases(size):
        x = jax.random.normal(jax.random.key(3), shape)
        runners = {}
        for label, fn in variants.items():
            w = jax.random.normal(jax.random.key(4), jax.eval_shape(fn, x).shape)
            # x and w are arguments, not closed-over constants (XLA would fold the whole computation)
            g = jax.jit(jax.value_and_grad(lambda x, w, fn=fn: jnp.sum(fn(x) * w)))
            jax.block_until_ready(g(x, w))
            runners[label] = lambda g=g, w=w: jax.block_until_ready(g(x, w))
        if tfn is not None:
            tx = T.to_torch(x).requires_grad_(True)
            tw = T.to_torch(np.asarray(jax.random.normal(jax.random.key(4), jax.eval_shape(
                next(iter(variants.values())), x).shape)))

            def trun(tfn=tfn, tx=tx, tw=tw):
                tx.grad = None
                (tfn(tx) * tw).sum().backward()

            trun()
            runners["torch"] = trun
        res = interleaved(runners, repeats)
        rows.append({"layer": name, "times_s": {k: v["median_s"] for k, v in res.items()}})
        print(f"  {name}: " + ", ".join(f"{k} {C.fmt_s(v['median_s'])}" for k, v in res.items()), flush=True)
    return rows


# ------------------------------------------------------------------------------------------------ profile
CATEGORIES = (  # (label, regex on the op_name metadata of an XLA op), first match wins
    ("Winograd products (3×3 convs)", r"ptc,pco->pto"),
    ("1×1 conv products", r"nhwc,co->nhwo"),
    ("direct convs (stride 2, small maps)", r"conv_general_dilated"),
    ("Winograd transforms, padding, crops", r"/conv/"),
    ("BatchNorm", r"/bn/|concat_bn"),
    ("LeakyReLU", r"leaky_relu"),
    ("upsampling, concat", r"stack|concatenate"),
    ("Adam update", r"adam|apply_updates|optax"),
)
OTHER = "other (parameter/layout copies, loss)"


def profile_step(size):
    """Time per op of one compiled jaxreg step (2 calls traced), grouped by CATEGORIES."""
    try:
        from jaxlib import _profile_data
    except ImportError as err:  # pragma: no cover
        return {"unavailable": f"jaxlib profile reader not importable: {err}"}
    js = jax_step(size)
    with tempfile.TemporaryDirectory() as d:
        with jax.profiler.trace(d):
            for _ in range(2):
                js["run"]()
        files = glob.glob(os.path.join(d, "**", "*.xplane.pb"), recursive=True)
        if not files:
            return {"unavailable": "jax.profiler wrote no trace"}
        data = _profile_data.ProfileData.from_file(files[0])
    per_op = collections.Counter()
    for plane in data.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_XLAEigen"):
                continue
            for ev in line.events:
                if not ev.name.startswith(("ThunkExecutor", "SlinkyThreadPool")):
                    per_op[ev.name] += ev.duration_ns / 2e9
    hlo = js["compiled"].as_text()  # the optimised HLO of the executable just traced: op name → op_name
    meta = dict(re.findall(r"%([\w.\-]+) = [^\n]*?op_name=\"([^\"]+)\"", hlo))
    groups, other = collections.Counter(), collections.Counter()
    for name, seconds in per_op.items():
        opname = meta.get(name, "")
        label = next((lab for lab, rx in CATEGORIES if re.search(rx, opname)), OTHER)
        groups[label] += seconds
        if label == OTHER:
            other[f"{name} ({opname or 'no op_name'})"] += seconds
    total = sum(groups.values())
    return {"total_op_s": total, "groups_s": dict(groups.most_common()),
            "largest_other_s": dict(other.most_common(10)), "note":
            "per-op times from the XLA CPU runtime's trace events (threads summed, so the total can differ from "
            "the wall time); ops are matched to layers by their op_name metadata"}


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-direct", action="store_true", help="skip the conv_algorithm='direct' column")
    ap.add_argument("--components", action="store_true", help="time single layers at the largest size")
    ap.add_argument("--profile", action="store_true", help="group the jaxreg step's op times (largest size)")
    ap.add_argument("--name", default="dip_step")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    env = C.environment()
    env["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    env["load_avg_start"] = os.getloadavg()
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
    print(C.env_line(env), "· torch", env.get("torch", "absent"), "· load", env["load_avg_start"], flush=True)

    rows = []
    for size in args.sizes:
        js = jax_step(size)
        runners = {"jaxreg": js["run"]}
        row = {"size": size, "jaxreg": {"compile_s": js["compile_s"], "first_call_s": js["first_call_s"]}}
        if not args.no_direct:
            jd = jax_step(size, "direct")
            runners["jaxreg_direct"] = jd["run"]
            row["jaxreg_direct"] = {"compile_s": jd["compile_s"], "first_call_s": jd["first_call_s"]}
        if torch is not None:
            ts = torch_step(js)
            runners["torch"] = ts["run"]
            row["torch"] = {"first_call_s": ts["first_call_s"], "threads": torch.get_num_threads()}
            row["forward_max_abs_diff"] = ts["forward_max_abs_diff"]
        res = interleaved(runners, args.repeats)
        for k, v in res.items():
            row[k].update(step_s=v["median_s"], step_s_all=v["all_s"])
        if torch is not None:
            row["ratio"] = row["jaxreg"]["step_s"] / row["torch"]["step_s"]
            if "jaxreg_direct" in row:
                row["ratio_direct"] = row["jaxreg_direct"]["step_s"] / row["torch"]["step_s"]
        row["load_avg"] = os.getloadavg()
        rows.append(row)
        print(f"{size}²: jaxreg {C.fmt_s(row['jaxreg']['step_s'])} (compile {row['jaxreg']['compile_s']:.1f} s)"
              + (f", direct {C.fmt_s(row['jaxreg_direct']['step_s'])}" if "jaxreg_direct" in row else "")
              + (f", torch {C.fmt_s(row['torch']['step_s'])}, ratio {row['ratio']:.2f}, forward max|Δ| "
                 f"{row['forward_max_abs_diff']:.1e}" if torch is not None else ", torch absent"), flush=True)

    fig = {"benchmark": "dip_step", "environment": env, "repeats": args.repeats, "rows": rows,
           "network": "jaxreg.nets.Skip() 32→3, input (1, S, S, 32) U[0,0.1), MSE, optax.adam(0.01)"}
    if args.components:
        size = max(args.sizes)
        print(f"components at {size}² (forward + backward):", flush=True)
        fig["components"] = {"size": size, "rows": run_components(size, args.repeats)}
    if args.profile:
        fig["profile"] = {"size": max(args.sizes), **profile_step(max(args.sizes))}
    env["load_avg_end"] = os.getloadavg()
    C.write_results(args.name, fig, markdown(fig), args.out)


def markdown(fig):
    env, rows = fig["environment"], fig["rows"]
    have_torch = "torch" in env
    lines = ["# One Adam step of the DIP default network: jaxreg vs PyTorch (same CPU, interleaved)", "",
             f"Recorded {C.env_line(env)}" + (f" · PyTorch {env['torch']} ({env['torch_threads']} threads)"
                                              if have_torch else " · PyTorch absent") +
             f" · XLA_FLAGS {env['xla_flags'] or 'unset'} · load average at start "
             f"{', '.join(f'{v:.2f}' for v in env['load_avg_start'])}, at end "
             f"{', '.join(f'{v:.2f}' for v in env['load_avg_end'])}.", "",
             f"Network {fig['network']}; PyTorch: `benchmarks/_torch_skip.skip_replica()` with the same weights, "
             "`torch.optim.Adam(lr=0.01)`. Per size, the steps run interleaved in one process (jaxreg, direct, "
             f"torch, jaxreg, …), {fig['repeats']} each after one warm-up call; medians. Compile time is "
             "`jax.jit(step).lower(...).compile()`, apart from the step times. `direct` is the same network with "
             "`conv_algorithm='direct'` (every convolution by `lax.conv_general_dilated`, a straightforward Flax "
             "version). Ratio = jaxreg / PyTorch (< 1: jaxreg faster).", ""]
    hdr = ["size", "jaxreg compile", "jaxreg step", "PyTorch step", "ratio (target ≤ 1.0 at 256²)",
           "direct step", "direct / PyTorch", "forward max abs diff", "load avg (1 min) after"]
    body = []
    for r in rows:
        body.append([f"{r['size']}²", f"{r['jaxreg']['compile_s']:.1f} s", C.fmt_s(r["jaxreg"]["step_s"]),
                     C.fmt_s(r["torch"]["step_s"]) if "torch" in r else "—",
                     f"{r['ratio']:.2f}" if "ratio" in r else "—",
                     C.fmt_s(r["jaxreg_direct"]["step_s"]) if "jaxreg_direct" in r else "—",
                     f"{r['ratio_direct']:.2f}" if "ratio_direct" in r else "—",
                     f"{r['forward_max_abs_diff']:.1e}" if "forward_max_abs_diff" in r else "—",
                     f"{r['load_avg'][0]:.2f}"])
    lines += [C.table(hdr, body), ""]
    if "components" in fig:
        comp = fig["components"]
        lines += [f"## Single layers at {comp['size']}² (forward + backward, medians, same interleaving)", ""]
        body = []
        for r in comp["rows"]:
            times = r["times_s"]
            default = next(k for k in times if k.endswith("(default)"))
            alts = [k for k in times if k not in (default, "torch")]
            body.append([r["layer"], f"{default}: {C.fmt_s(times[default])}",
                         "; ".join(f"{k}: {C.fmt_s(times[k])}" for k in alts) or "—",
                         C.fmt_s(times.get("torch")),
                         f"{times[default] / times['torch']:.2f}" if "torch" in times else "—"])
        lines += [C.table(["layer", "jaxreg (as used)", "alternative measured", "PyTorch", "jaxreg / PyTorch"],
                          body), ""]
    if "profile" in fig:
        p = fig["profile"]
        lines += [f"## Where a jaxreg step goes at {p['size']}²", ""]
        if "unavailable" in p:
            lines += [f"Not measured: {p['unavailable']}", ""]
        else:
            body = [[k, C.fmt_s(v), f"{100 * v / p['total_op_s']:.0f} %"] for k, v in p["groups_s"].items()]
            lines += [C.table(["ops", "time per step", "share"], body), "", p["note"] + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
