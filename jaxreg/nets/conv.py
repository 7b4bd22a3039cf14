"""Convolution of NHWC images with HWIO kernels (cross-correlation, as PyTorch's ``Conv2d``), and the algorithms
behind it.

Why not just ``lax.conv_general_dilated``: on CPU, XLA computes the *weight* gradient of a convolution as a
second convolution whose "kernel" is the whole output gradient; for the DIP network at 256² that one op took
about a third of an Adam step (the 132→128 3×3 layer at full resolution: 0.9 s of 2.9 s) and the weight
gradient of a full-resolution 1×1 layer took 0.2 s for 2 GFLOP.  Measured on a 2-core CPU
(``benchmarks/dip_step.py``, ``docs/nets.md``).  So on CPU:

* 1×1 convolutions are matrix products (``einsum``), whose gradients are matrix products too;
* 3×3 stride-1 convolutions use Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast algorithms for
  convolutional neural networks", CVPR 2016): each 2×2 output tile is ``Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`` for its
  4×4 input tile ``d``, so the work is 16 batched matrix products over (tiles × C_in) · (C_in × C_out) —
  2.25× fewer multiplications than direct convolution — and the input/output transforms are additions of
  shifted slices.  Reverse-mode differentiation of this formulation is again 16 batched products plus the
  transposed transforms, so forward, input gradient and weight gradient all get the 2.25× saving.  F(2, 3)'s
  transforms use only 0, ±1 and ±½, so float32 round-off stays at the level of direct convolution (relative
  error ~1e-6 in our tests);
* everything else (stride 2, other sizes, small maps) uses ``lax.conv_general_dilated`` forward with a
  hand-written backward pass (:func:`valid_conv`): the weight gradient as ``k²`` matrix products of strided
  input slices with the output gradient, the input gradient as a forward convolution with the flipped kernel
  (stride 1) or XLA's transpose (stride 2).  The reason is the iteration loop: inside ``lax.scan`` /
  ``lax.while_loop`` XLA:CPU runs the weight gradient of ``conv_general_dilated`` on a slow generic path (a 3×3
  128→128 weight gradient at 64²: 20 ms outside a loop, 820 ms inside; jax-ml/jax#12868), which made one DIP
  step in ``jaxreg.solve`` 7× slower than the same step under ``jit`` alone.
* every other backend uses ``lax.conv_general_dilated`` and its autodiff.

``algorithm``: ``"auto"`` (default) decides at trace time — on CPU, matrix products for 1×1 kernels and F(2, 3)
for 3×3 stride-1 kernels whose output has at least :data:`WINOGRAD_MIN_PIXELS` pixels; ``lax.conv_general_dilated``
for the rest and on every other backend.  ``"direct"`` uses ``lax.conv_general_dilated`` for everything;
``"winograd"`` / ``"winograd4"`` force F(2, 3) / F(4, 3) for every 3×3 stride-1 kernel (F(4, 3): 4× fewer
multiplications, but its ±2 points raise the float32 error about tenfold, to ~1e-5 relative per layer).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

ALGORITHMS = ("auto", "direct", "winograd", "winograd4")
# "auto" uses Winograd for maps with at least this many output pixels (N·H·W): below it the direct convolution
# costs little anyway, and each Winograd layer adds about 0.6 s of XLA compile time (forward + backward)
WINOGRAD_MIN_PIXELS = 4096


def pad_spatial(x, p: int, mode: str):
    """Pad H and W of an NHWC array by ``p`` with reflection (``ReflectionPad2d``) or zeros."""
    if p == 0:
        return x
    widths = ((0, 0), (p, p), (p, p), (0, 0))
    return jnp.pad(x, widths, mode="reflect" if mode == "reflection" else "constant")


# Winograd F(m×m, 3×3) transforms (Lavin & Gray 2016, §4): input Bᵀ (α×α), kernel G (α×3), output Aᵀ (m×α),
# α = m + 2.  F(2, 3) uses the points 0, ±1, ∞; F(4, 3) adds ±2.
WINOGRAD = {
    2: (((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
        ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1)),
        ((1, 1, 1, 0), (0, 1, -1, -1))),
    4: (((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0), (0, -2, -1, 2, 1, 0),
         (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)),
        ((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6), (1 / 24, 1 / 12, 1 / 6),
         (1 / 24, -1 / 12, 1 / 6), (0, 0, 1)),
        ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))),
}


def _comb(coefs, arrays):
    """``Σ coefs[i]·arrays[i]``, skipping zeros and writing ±1 as additions (the transforms are sparse)."""
    out = None
    for c, a in zip(coefs, arrays):
        if c == 0:
            continue
        term = a if c == 1 else (-a if c == -1 else a * jnp.asarray(c, a.dtype))
        out = term if out is None else out + term
    return out


def _windows(x, axis: int, t: int, m: int, size: int):
    """Entry ``a`` of the ``t`` windows of stride ``m`` along ``axis`` (length ``m·(t+1)``), for ``a < size``."""
    shape = x.shape
    xr = x.reshape(shape[:axis] + (t + 1, m) + shape[axis + 1:])
    out = []
    for a in range(size):
        da, phase = divmod(a, m)
        sl = lax.slice_in_dim(xr, da, da + t, axis=axis)
        out.append(lax.index_in_dim(sl, phase, axis=axis + 1, keepdims=False))
    return out


def _overlap_add(parts, axis: int, t: int, m: int):
    """Adjoint of :func:`_windows`: add entry ``a`` of every window back at its place (windows overlap)."""
    phases = []
    for phase in range(m):
        acc = None
        for a in range(phase, len(parts), m):
            widths = [(0, 0)] * parts[a].ndim
            widths[axis] = (a // m, 1 - a // m)
            term = jnp.pad(parts[a], widths)
            acc = term if acc is None else acc + term
        phases.append(acc)
    y = jnp.stack(phases, axis=axis + 1)
    return y.reshape(y.shape[:axis] + (y.shape[axis] * m,) + y.shape[axis + 2:])


@partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3, 4))
def _tile(x, axis, t, m, mat):
    """``mat @ window`` for every window of stride ``m`` along ``axis``; the α results stacked on a new axis 0."""
    d = _windows(x, axis, t, m, len(mat[0]))
    return jnp.stack([_comb(row, d) for row in mat])


def _tile_fwd(x, axis, t, m, mat):
    return _tile(x, axis, t, m, mat), None


def _tile_bwd(axis, t, m, mat, _, v):
    planes = [v[k] for k in range(v.shape[0])]
    parts = [_comb([row[a] for row in mat], planes) for a in range(len(mat[0]))]
    return (_overlap_add(parts, axis, t, m),)


_tile.defvjp(_tile_fwd, _tile_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _untile(planes, axis, mat):
    """``mat @ planes`` (stacked on axis 0), the ``m`` results interleaved along ``axis``."""
    ys = [_comb(row, [planes[k] for k in range(planes.shape[0])]) for row in mat]
    y = jnp.stack(ys, axis=axis + 1)
    return y.reshape(y.shape[:axis] + (y.shape[axis] * len(mat),) + y.shape[axis + 2:])


def _untile_fwd(planes, axis, mat):
    return _untile(planes, axis, mat), None


def _untile_bwd(axis, mat, _, dy):
    m, t = len(mat), dy.shape[axis] // len(mat)
    dyr = dy.reshape(dy.shape[:axis] + (t, m) + dy.shape[axis + 1:])
    parts = [lax.index_in_dim(dyr, r, axis=axis + 1, keepdims=False) for r in range(m)]
    return (jnp.stack([_comb([row[k] for row in mat], parts) for k in range(len(mat[0]))]),)


_untile.defvjp(_untile_fwd, _untile_bwd)


def winograd_conv3x3(xp, kernel, m: int = 2):
    """VALID 3×3 correlation of the padded NHWC ``xp`` with an HWIO ``kernel`` by Winograd F(m×m, 3×3).

    Tiles of ``m×m`` outputs; the input is zero-padded at the bottom/right to whole tiles and the output cropped.
    The transforms are separable (rows, then columns) and carry hand-written adjoints, so reverse mode costs two
    batched matrix products and the transposed transforms, never XLA's generic transpose of many slices.
    """
    bt, g, at = WINOGRAD[m]
    alpha = m + 2
    n, hp, wp, c = xp.shape
    o = kernel.shape[-1]
    h, w = hp - 2, wp - 2
    th, tw = -(-h // m), -(-w // m)
    xp = jnp.pad(xp, ((0, 0), (0, m * (th + 1) - hp), (0, m * (tw + 1) - wp), (0, 0)))
    v = _tile(_tile(xp, 1, th, m, bt), 3, tw, m, bt).reshape(alpha * alpha, n * th * tw, c)  # (col, row) planes
    rows = [_comb(gr, [kernel[i] for i in range(3)]) for gr in g]  # G g: α × (3, c, o)
    u = jnp.stack([jnp.stack([_comb(gc, [r[j] for j in range(3)]) for r in rows]) for gc in g])  # (G g Gᵀ)ᵀ
    u = u.reshape(alpha * alpha, c, o)
    prod = jnp.einsum("ptc,pco->pto", v, u).reshape(alpha, alpha, n, th, tw, o)
    return _untile(_untile(prod, 3, at), 1, at)[:, :h, :w]


_NHWC = ("NHWC", "HWIO", "NHWC")


def _conv(xp, kernel, stride):
    return lax.conv_general_dilated(xp, kernel, (stride, stride), "VALID", dimension_numbers=_NHWC)


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def valid_conv(xp, kernel, stride: int = 1):
    """VALID correlation of the (already padded) NHWC ``xp`` with an HWIO ``kernel``; the backward pass is
    written out with loop-friendly ops (module docstring)::

        ∂k[a, b] = Σ_p xp[s·p + (a, b)]ᵀ g[p]                (one matrix product per tap)
        ∂xp      = g ⋆ flip(k)ᵀ on g zero-padded by k − 1    (stride 1; XLA's transpose for stride > 1)
    """
    return _conv(xp, kernel, stride)


def _valid_conv_fwd(xp, kernel, stride):
    return _conv(xp, kernel, stride), (xp, kernel)


def _valid_conv_bwd(stride, res, g):
    xp, kernel = res
    kh, kw = kernel.shape[:2]
    n, ho, wo, _ = g.shape
    taps = []
    for a in range(kh):
        row = []
        for b in range(kw):
            xs = lax.slice(xp, (0, a, b, 0), (n, a + stride * (ho - 1) + 1, b + stride * (wo - 1) + 1, xp.shape[3]),
                           (1, stride, stride, 1))
            row.append(jnp.einsum("nhwi,nhwo->io", xs, g))
        taps.append(jnp.stack(row))
    dk = jnp.stack(taps).astype(kernel.dtype)
    if stride == 1:
        gp = jnp.pad(g, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
        dx = _conv(gp, jnp.swapaxes(kernel[::-1, ::-1], 2, 3), 1)
    else:
        dx = jax.vjp(lambda v: _conv(v, kernel, stride), xp)[1](g)[0]
    return dx.astype(xp.dtype), dk


valid_conv.defvjp(_valid_conv_fwd, _valid_conv_bwd)


def _pointwise(x, kernel, stride: int):
    if stride > 1:
        x = x[:, ::stride, ::stride]
    return jnp.einsum("nhwc,co->nhwo", x, kernel[0, 0])


def conv2d(x, kernel, bias=None, *, stride: int = 1, pad: str = "reflection", algorithm: str = "auto"):
    """2-D convolution of NHWC ``x`` with an HWIO ``kernel`` (cross-correlation, as PyTorch), plus ``bias``.

    ``pad``: ``'reflection'`` (reflect ``(k-1)//2``, then VALID), ``'zero'`` (zero padding ``(k-1)//2``) or
    ``'valid'`` (none).  ``algorithm``: module docstring.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"conv2d: algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    k = kernel.shape[0]
    p = (k - 1) // 2 if pad != "valid" else 0
    if pad == "reflection" and p >= min(x.shape[1], x.shape[2]):
        raise ValueError(f"reflection padding of {p} needs feature maps larger than {p} pixels, got "
                         f"{x.shape[1]}×{x.shape[2]} (the input is too small for this many stride-2 scales)")
    auto_cpu = algorithm == "auto" and jax.default_backend() == "cpu"
    forced = algorithm in ("winograd", "winograd4")
    pixels = x.shape[0] * x.shape[1] * x.shape[2] // (stride * stride)
    if k == 1 and (forced or auto_cpu):
        y = _pointwise(x, kernel, stride)
    elif k == 3 and stride == 1 and (forced or (auto_cpu and pixels >= WINOGRAD_MIN_PIXELS)):
        y = winograd_conv3x3(pad_spatial(x, p, pad), kernel, 4 if algorithm == "winograd4" else 2)
    elif auto_cpu:
        y = valid_conv(pad_spatial(x, p, pad if pad != "valid" else "zero"), kernel, stride)
    else:
        if pad == "reflection":
            x, padding = pad_spatial(x, p, pad), "VALID"
        else:
            padding = ((p, p), (p, p))
        y = lax.conv_general_dilated(x, kernel, (stride, stride), padding, dimension_numbers=_NHWC)
    return y if bias is None else y + bias
