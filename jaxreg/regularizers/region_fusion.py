"""ℓ0 gradient minimisation by region fusion (Nguyen & Brown, ICCV 2015), inside the compiled graph.

Objective (4-neighbour pairs, counted jointly over channels)::

    E_λ(S) = Σ_p ‖S_p − I_p‖² + λ · #{(p, q) 4-neighbours : S_p ≠ S_q}                      (1)

Region fusion starts from one region per pixel and fuses neighbouring regions ``a, b`` (mean colours
``Y``, pixel counts ``w``, ``c_ab`` adjacent pixel pairs between them) when

    ‖Y_a − Y_b‖² · w_a w_b  ≤  β · c_ab · (w_a + w_b),                                          (2)

i.e. when the fusion does not increase ``E_β``: it costs ``‖Y_a − Y_b‖² w_a w_b / (w_a + w_b)`` in
the data term and saves ``β c_ab`` in the boundary term.  ``β`` rises linearly from 0 to ``λ`` over
``max_loop + 1`` passes.  Every fusion lowers ``E_β`` and hence ``E_λ`` (β ≤ λ).

**Sequential algorithm** (``exact=True``): the published sweep, see
:mod:`jaxreg.regularizers._region_fusion_exact`; it runs on the host through ``jax.pure_callback``.

**Parallel algorithm** (``exact=False``, the default; fixed shapes, ``lax.while_loop`` rounds over a list of pixel edges that is compacted in stages, no
host round trip, so it is jit-, vmap- and accelerator-ready).  State: a label per pixel (the id of a
pixel of its region) and per-region colour sums and pixel counts indexed by that id, all updated by
segment sums.  Pass ``it`` (``β = it·λ/max_loop``) runs ``max_rounds`` rounds (default 1, like the
one sweep per pass of the sequential algorithm); the last pass (``β = λ``) repeats rounds until no
proposal is valid.  A round:

1. *Proposals.*  Every region proposes the neighbour of largest gain ``β c_ab − ‖Y_a − Y_b‖² w_a
   w_b/(w_a + w_b)`` (the decrease of ``E_β``; ties to the smallest id), found from the pixel edges
   with a hashed estimate of ``c_ab`` (one table, never too small); ``c_ab`` of the chosen pair is then
   counted exactly, and the proposal is *valid* when it passes (2).  Gains are symmetric, so the
   valid proposals form a forest plus 2-cycles; a mutual pair is rooted at its smaller id.
2. *Trees.*  Each tree is contracted to its root (pointer jumping) when fusing the whole tree does
   not increase ``E_β``: ``Σ_i w_i ‖Y_i − Ȳ‖² ≤ β · #(adjacent pixel pairs that become internal)``
   (or when every link joins regions of exactly one colour).
3. *Pairs.*  In a rejected tree each node fuses with its child of largest gain, unless it fuses with
   its own parent: disjoint single fusions, each of which passed (2).

Differences from the sequential sweep: there, a visited region tests its neighbours in list order
and absorbs every one that passes (2), its mean updated after each fusion, and the order of visits
matters; here a region fuses only along its best proposal per round, whole groups are tested
against the statistics at the start of the round, and the result does not depend on any order.
Both decrease (1) monotonically and stop in different local minima; on 64×64 crops of clip art,
JPEG clip art and noisy photos the energies agree within about ±1 % (``benchmarks/region_fusion.py``).
"""

from __future__ import annotations

import functools

import numpy as np
import jax
import jax.numpy as jnp

from .._checks import as_float_array, is_concrete


# ------------------------------------------------------------------------------------------------
# the energy
# ------------------------------------------------------------------------------------------------
def count_jumps(smooth):
    """Number of 4-neighbour pixel pairs of ``smooth`` (``(H, W, C)``) whose colours differ."""
    h = jnp.any(smooth[:, 1:] != smooth[:, :-1], axis=-1)
    v = jnp.any(smooth[1:] != smooth[:-1], axis=-1)
    return jnp.sum(h) + jnp.sum(v)


def l0_energy(smooth, image, lam):
    """``Σ‖S − I‖² + λ · #(4-neighbour pairs whose colour differs)`` (1), for ``(H, W[, C])`` arrays."""
    smooth = jnp.asarray(smooth)
    image = jnp.asarray(image)
    if smooth.shape != image.shape:
        raise ValueError(f"l0_energy: smooth {smooth.shape} and image {image.shape} must have the same shape")
    if smooth.ndim == 2:
        smooth, image = smooth[..., None], image[..., None]
    data = jnp.sum(jnp.square(smooth - image))
    return data + lam * count_jumps(smooth)


# ------------------------------------------------------------------------------------------------
# helpers on (H, W) label maps
# ------------------------------------------------------------------------------------------------
def _edge_pairs(x):
    """The two ends of every horizontal and vertical pixel edge: ``((left, right), (top, bottom))``."""
    return (x[:, :-1], x[:, 1:]), (x[:-1], x[1:])


def _fusion_allowed(root, ea, eb, boundary, stats, beta, one_colour):
    """Per group root: fusing every region into its group does not increase ``E_β``, i.e.
    ``Σ_i w_i ‖Y_i − Ȳ_group‖² ≤ β · #(adjacent pixel pairs of different regions in one group)``,
    or the group only joins regions of exactly one colour (``one_colour`` per region: its link does).
    ``ea, eb`` are the regions at the two ends of every pixel edge (``boundary``: they differ)."""
    n = stats.shape[0]
    gstats = jax.ops.segment_sum(stats, root, num_segments=n)
    mixed = jax.ops.segment_sum((~one_colour).astype(jnp.int32), root, num_segments=n)
    gmean = _means(gstats)
    spread = stats[:, -1] * _channel_sum(jnp.square(_means(stats) - gmean[root]))      # w_i ‖Y_i − Ȳ‖²
    spread = jax.ops.segment_sum(spread, root, num_segments=n)
    ra = root[ea]
    internal = jax.ops.segment_sum((boundary & (ra == root[eb])).astype(jnp.int32), ra, num_segments=n)
    # rounding of the means: fusing regions of (numerically) one colour must pass at β = 0
    eps = jnp.finfo(stats.dtype).eps
    top = functools.reduce(jnp.maximum, [jnp.abs(gmean[:, k]) for k in range(gmean.shape[1])])
    slack = 16.0 * gstats[:, -1] * jnp.square(eps * (1.0 + top))
    return (mixed == 0) | (spread <= beta * internal.astype(stats.dtype) + slack)


def _channel_sum(x):
    """``Σ`` over the (small, static) last axis, unrolled ``((x₀ + x₁) + x₂) + …``: an elementwise
    fusion instead of an XLA reduction over 3 elements per pixel (several times slower on CPU)."""
    total = x[..., 0]
    for k in range(1, x.shape[-1]):
        total = total + x[..., k]
    return total


def _means(stats):
    """Mean colours from region statistics ``[colour sums…, pixel count]``."""
    return stats[:, :-1] / jnp.maximum(stats[:, -1:], 1.0)


def _roots(parent):
    """Pointer jumping to the root of every node of a forest given by ``parent`` (≤ log₂ n + 1 doublings)."""
    limit = int(np.ceil(np.log2(max(parent.shape[0], 2)))) + 1

    def body(carry):
        p, _, i = carry
        q = p[p]
        return q, jnp.any(q != p), i + 1

    root, _, _ = jax.lax.while_loop(lambda c: c[1] & (c[2] < limit), body, (parent, jnp.asarray(True), 0))
    return root


def _hash(lo, hi):
    """A 32-bit hash of the pair ``(lo, hi)`` (murmur3's finaliser on ``lo·φ ⊕ hi``)."""
    h = lo * np.uint32(0x9E3779B1) ^ hi
    h = (h ^ (h >> 16)) * np.uint32(0x85EBCA6B)
    h = (h ^ (h >> 13)) * np.uint32(0xC2B2AE35)
    return h ^ (h >> 16)


def _table_size(n):
    """Counters of the pair-count table: ``2^⌈log₂ 8n⌉`` (load ≤ 1/4 with one region per pixel)."""
    return 1 << int(np.ceil(np.log2(max(8 * n, 16))))


def _pair_counts_estimate(ea, eb, boundary, table, stale):
    """Count-sketch estimate of ``c_ab`` for every pixel edge ``(a, b) = (ea, eb)``, symmetric in a, b.

    ``table`` holds ``_table_size(n)`` counters (load ≤ 1/4 with one region per pixel, far less once
    regions have fused), zero except at the slots ``stale`` that the previous call filled: those are
    cleared first, so that a loop can carry the table instead of zeroing all its counters every round.
    Every ``boundary`` edge (a ≠ b) then adds 1 to the slot of its hashed pair: the estimate is exact
    unless the pair's slot collides, and never too small.  It only chooses proposals: the ``c_ab`` of
    a chosen pair is counted exactly.  Returns the estimates (meaningful on boundary edges), the table
    and the slots it filled.
    """
    size = table.shape[0]
    table = table.at[stale].set(0, mode="drop")
    lo, hi = jnp.minimum(ea, eb).astype(jnp.uint32), jnp.maximum(ea, eb).astype(jnp.uint32)
    slot = jnp.where(boundary, (_hash(lo, hi) & np.uint32(size - 1)).astype(jnp.int32), size)  # size: dropped
    slot = jax.lax.optimization_barrier(slot)                                 # hash once, not per use
    table = table.at[slot].add(1, mode="drop")
    return table.at[slot].get(mode="fill", fill_value=0).astype(jnp.float32), table, slot


# ------------------------------------------------------------------------------------------------
# one round of parallel fusion at level beta
# ------------------------------------------------------------------------------------------------
def _round(ea, eb, stats, beta, table, stale):
    """One round at level ``beta``: proposals, then tree or pair fusions (module docstring).

    ``ea, eb`` are the region ids at the two ends of the pixel edges (a list that may have been
    compacted to the edges between different regions, padded with ``(0, 0)``), ``stats`` the
    ``(n, C + 1)`` colour sums and pixel count of every region id.  Returns the region each region
    joins (``group``), the new ``stats``, whether any proposal was valid, and the count table.
    """
    n = stats.shape[0]
    ids = jnp.arange(n, dtype=ea.dtype)
    cnt = stats[:, -1]
    mean = _means(stats)
    boundary = ea != eb

    # 1. proposals: the neighbour of largest estimated gain β·c_ab − cost_ab, ties to the smallest id
    c_est, table, stale = _pair_counts_estimate(ea, eb, boundary, table, stale)
    wa, wb = cnt[ea], cnt[eb]
    cost = _channel_sum(jnp.square(mean[ea] - mean[eb])) * (wa * wb) / (wa + wb)
    edge_gain = jnp.where(boundary, beta * c_est - cost, -jnp.inf)
    # every edge, seen from both of its ends: (src, dst)
    src, dst = jnp.concatenate([ea, eb]), jnp.concatenate([eb, ea])
    edge_gain, both = jnp.concatenate([edge_gain, edge_gain]), jnp.concatenate([boundary, boundary])
    best = jax.ops.segment_max(edge_gain, src, num_segments=n)
    partner = jax.ops.segment_min(jnp.where(both & (edge_gain == best[src]), dst, n), src, num_segments=n)
    has_partner = (cnt > 0) & (partner < n) & (partner != ids)
    partner = jnp.where(has_partner, partner, ids)
    c = jax.ops.segment_sum((both & (dst == partner[src])).astype(jnp.int32), src, num_segments=n)
    c = c.astype(stats.dtype)                                                       # pixel pairs a–partner
    wa, wb = cnt, cnt[partner]
    d = _channel_sum(jnp.square(mean - mean[partner]))
    valid = has_partner & (d * (wa * wb) <= beta * c * (wa + wb))                  # test (2), exact c
    gain = jnp.where(valid, beta * c - d * (wa * wb) / jnp.maximum(wa + wb, 1.0), -jnp.inf)

    # the forest of valid proposals; a mutual pair is rooted at its smaller id
    parent = jnp.where(valid, partner, ids)
    mutual = (parent[parent] == ids) & (parent != ids)
    parent = jnp.where(mutual & (ids < parent), ids, parent)

    # 2. trees; a tree of regions of one colour (d = 0 on every link) fuses without the test's rounding
    root = _roots(parent)
    tree_ok = _fusion_allowed(root, ea, eb, boundary, stats, beta, (d == 0) | (parent == ids))[root]
    # 3. in a rejected tree, every node fuses with its child of largest gain (a single fusion that
    #    passed (2)); a node that itself fuses with its parent leaves that child alone this round
    child = parent != ids
    best_gain = jax.ops.segment_max(jnp.where(child, gain, -jnp.inf), parent, num_segments=n)
    first = jax.ops.segment_min(jnp.where(child & (gain == best_gain[parent]), ids, n), parent, num_segments=n)
    pair = child & (first[parent] == ids)

    group = jnp.where(tree_ok, root, jnp.where(pair & ~pair[parent], parent, ids))
    return group, jax.ops.segment_sum(stats, group, num_segments=n), jnp.any(valid), table, stale


FINAL_ROUNDS = 64
STAGES = 3                 # edge capacities E, E/2, E/4 (each stage is one more compiled while loop) ...
MIN_STAGE_EDGES = 16384    # ... as long as the capacity stays above this (small images: one stage)


def _capacities(num_edges):
    """The edge capacity of every stage: halving, ``STAGES`` at most, none below ``MIN_STAGE_EDGES``."""
    caps = [num_edges]
    while len(caps) < STAGES and -(-caps[-1] // 2) >= MIN_STAGE_EDGES:
        caps.append(-(-caps[-1] // 2))
    return caps


def _compact(ea, eb, capacity):
    """The edges between different regions, in order, in arrays of ``capacity`` (padded with ``(0, 0)``)."""
    keep = ea != eb
    pos = jnp.where(keep, jnp.cumsum(keep.astype(jnp.int32)) - 1, capacity)
    return tuple(jnp.zeros(capacity, e.dtype).at[pos].set(e, mode="drop") for e in (ea, eb))


def _region_fusion_parallel(image, lam, max_loop, max_rounds):
    """Passes ``it = 0 … max_loop`` at ``β = it·λ/max_loop``, each of at most ``max_rounds`` rounds
    (the last pass: until no proposal is valid, at most ``FINAL_ROUNDS``).

    The rounds run on a list of pixel edges, in up to ``STAGES`` while loops (``_capacities``): the
    first on all edges, each next one, entered when the edges between different regions fit, on half
    as many (the others lie inside a region and play no part).  Every stage has fixed shapes."""
    h, w, ch = image.shape
    n = h * w
    if n == 1:
        return image
    step = jnp.asarray(lam, image.dtype) / max_loop
    size = _table_size(n)
    lab = jnp.arange(n, dtype=jnp.int32).reshape(h, w)
    (la, lb), (ta, tb) = _edge_pairs(lab)
    ea, eb = jnp.concatenate([la.reshape(-1), ta.reshape(-1)]), jnp.concatenate([lb.reshape(-1), tb.reshape(-1)])
    capacities = _capacities(ea.shape[0])
    stats = jnp.concatenate([image.reshape(n, ch), jnp.ones((n, 1), image.dtype)], axis=1)
    it, r = jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32)
    for s, capacity in enumerate(capacities):
        if capacity < ea.shape[0]:
            ea, eb = _compact(ea, eb, capacity)
        fits_next = capacities[s + 1] if s + 1 < len(capacities) else -1

        def cond(carry, fits_next=fits_next):
            ea, eb, _, stats, it, _, _, _ = carry
            return (it <= max_loop) & (jnp.sum(stats[:, -1] > 0) > 1) & (jnp.sum(ea != eb) > fits_next)

        def body(carry):
            ea, eb, lab, stats, it, r, table, stale = carry
            group, stats, fused, table, stale = _round(ea, eb, stats, it.astype(image.dtype) * step, table, stale)
            r = r + 1
            cap = jnp.where(it == max_loop, max(FINAL_ROUNDS, max_rounds), max_rounds)
            next_pass = ~fused | (r >= cap)
            return (group[ea], group[eb], group[lab], stats, it + next_pass, jnp.where(next_pass, 0, r),
                    table, stale)

        carry = (ea, eb, lab, stats, it, r, jnp.zeros(size, jnp.int32), jnp.full(capacity, size, jnp.int32))
        ea, eb, lab, stats, it, r, _, _ = jax.lax.while_loop(cond, body, carry)
    return _means(stats)[lab]


_parallel = jax.jit(_region_fusion_parallel, static_argnums=(2, 3))


# ------------------------------------------------------------------------------------------------
# public entry point
# ------------------------------------------------------------------------------------------------
def _exact_host(image, lam, *, max_loop):
    """The sequential sweep on the host; ``lam`` arrives as a Python float (concrete) or a 0-d array."""
    from ._region_fusion_exact import region_fusion_exact_numpy
    return region_fusion_exact_numpy(np.asarray(image), float(lam), max_loop)


def region_fusion(image, lam, *, max_loop: int = 50, exact: bool = False, max_rounds: int = 1):
    """ℓ0 gradient minimisation of ``image`` by region fusion (module docstring).

    Args:
      image: float ``(H, W, C)`` (any number of channels) or ``(H, W)`` array; values are not
        clipped (DIP-ℓ0 passes ``g − w/β``).
      lam: λ of (1), ≥ 0; may be traced (``vmap`` over λ).
      max_loop: passes ``0 … max_loop`` with ``β = (it / max_loop) λ`` (DIP-ℓ0 uses 50).
      exact: run the published sequential sweep on the host (``jax.pure_callback``; numba when
        installed) instead of the in-graph parallel algorithm.
      max_rounds: parallel rounds per pass (a pass ends earlier when no proposal passes (2)); the
        last pass runs until none does (at most ``max(max_rounds, 64)`` rounds).  Ignored when
        ``exact``.

    Returns:
      The piecewise-constant result, same shape and dtype as ``image``.
    """
    if int(max_loop) < 1:
        raise ValueError(f"region_fusion: max_loop must be >= 1, got {max_loop}")
    if int(max_rounds) < 1:
        raise ValueError(f"region_fusion: max_rounds must be >= 1, got {max_rounds}")
    if is_concrete(lam):
        lam_np = np.asarray(lam)
        if lam_np.ndim != 0:
            raise ValueError(f"region_fusion: lam must be a scalar (vmap for several), got shape {lam_np.shape}")
        if not np.isfinite(lam_np) or lam_np < 0:
            raise ValueError(f"region_fusion: lam must be finite and non-negative, got {lam}")
    if not hasattr(image, "ndim"):
        image = np.asarray(image)
    gray = image.ndim == 2
    image = as_float_array(image[..., None] if gray else image, "image", ranks=(3,))
    if 0 in image.shape:
        raise ValueError(f"region_fusion: image must not be empty, got shape {image.shape}")
    if exact:
        spec = jax.ShapeDtypeStruct(image.shape, jnp.float32)
        if is_concrete(lam):  # the C++ takes λ as a double: pass it on unrounded (not in the image dtype)
            host = functools.partial(_exact_host, lam=float(np.asarray(lam)), max_loop=int(max_loop))
            out = jax.pure_callback(host, spec, image, vmap_method="sequential")
        else:
            host = functools.partial(_exact_host, max_loop=int(max_loop))
            out = jax.pure_callback(host, spec, image, jnp.asarray(lam, image.dtype), vmap_method="sequential")
        out = out.astype(image.dtype)
    else:
        out = _parallel(image, jnp.asarray(lam, image.dtype), int(max_loop), int(max_rounds))
    return out[..., 0] if gray else out
