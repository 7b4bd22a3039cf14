"""Region fusion, the published sequential algorithm, step by step (host code; numba when installed).

Nguyen & Brown, "Fast and effective L0 gradient minimization by region fusion", ICCV 2015; this
follows the authors' released ``l0_norm`` (``main_l0.cpp``) and the float wrapper used by DIP-ℓ0
(``../shared/notes/reference-implementations.md`` §1a):

* one *group* per pixel, with mean colour ``Y``, colour sum ``sumY``, pixel count ``W`` and a
  neighbour list of ``(group, connection length c)`` initialised in raster order with right, down,
  left, up (``c = 1``);
* passes ``it = 0 … max_loop`` (while more than one group is left) with ``β = ct·λ``, ``ct``
  accumulated as ``ct += 1/max_loop`` (linear schedule from 0 to λ);
* in each pass the active groups are visited in the order of the ``IDX`` array; group ``a`` tests
  its neighbours in list order and fuses ``b`` when ``d·W_a·W_b ≤ β·c_ab·(W_a + W_b)``
  (``d = ‖Y_a − Y_b‖²``, "Eq. 12"), removing ``b`` from its list by swapping in the last entry and
  re-examining that slot, merging ``b``'s neighbours into its list (connection lengths added for
  common neighbours, found through a hash of positions) and deleting ``b`` from ``IDX`` by swapping
  in the last active group.  Neighbours appended during a visit are examined in that visit only
  when a later removal swaps them into the examined range, exactly as in the C++.

Arithmetic mirrors the C++: means and sums in float32, ``d`` summed in float32, the fusion test in
float64.  Unlike the C++, any number of channels is supported, neighbour lists grow without the
out-of-bounds page look-up that makes the released code crash on some images, and groups are
tracked by union-find instead of member lists (same output).
"""

from __future__ import annotations

import numpy as np

try:  # optional accelerator: the same function compiled by numba
    import numba
except ImportError:  # pragma: no cover - exercised when numba is absent
    numba = None

INITIAL_CAPACITY = 8


def _fuse(image, lam, max_loop):
    """Sequential region fusion of a float32 ``(H, W, C)`` image; returns the float32 result."""
    rows, cols, bands = image.shape
    n = rows * cols
    y = image.reshape(n, bands).copy()
    sum_y = y.copy()
    weight = np.ones(n, np.int64)
    owner = np.arange(n)

    # neighbour lists in a growable pool: entries [start[g], start[g] + size[g]) of nb_id / nb_len
    pool = max(16, n * INITIAL_CAPACITY)
    nb_id = np.zeros(pool, np.int64)
    nb_len = np.zeros(pool, np.int64)
    start = np.arange(n) * INITIAL_CAPACITY
    capacity = np.full(n, INITIAL_CAPACITY, np.int64)
    size = np.zeros(n, np.int64)
    top = n * INITIAL_CAPACITY
    for i in range(rows):
        for j in range(cols):
            g = i * cols + j
            s = start[g]
            k = 0
            if j + 1 < cols:
                nb_id[s + k] = g + 1
                nb_len[s + k] = 1
                k += 1
            if i + 1 < rows:
                nb_id[s + k] = g + cols
                nb_len[s + k] = 1
                k += 1
            if j > 0:
                nb_id[s + k] = g - 1
                nb_len[s + k] = 1
                k += 1
            if i > 0:
                nb_id[s + k] = g - cols
                nb_len[s + k] = 1
                k += 1
            size[g] = k

    idx = np.arange(n)
    lut = np.arange(n)
    hash_pos = np.full(n, -1, np.int64)
    m = n
    step = 1.0 / max_loop
    ct = 0.0
    it = 0
    while it <= max_loop and m > 1:
        thresh = ct * lam
        ct += step
        i = 0
        while i < m:
            a = idx[i]
            for h in range(size[a]):
                hash_pos[nb_id[start[a] + h]] = h
            fix_loop = size[a]
            j = 0
            while j < fix_loop:
                sa = start[a]
                b = nb_id[sa + j]
                c = nb_len[sa + j]
                d = np.float32(0.0)
                for ch in range(bands):
                    diff = y[a, ch] - y[b, ch]
                    d += diff * diff
                sum_w = weight[a] + weight[b]
                if np.float64(d) * weight[a] * weight[b] <= thresh * c * sum_w:
                    for ch in range(bands):
                        sum_y[a, ch] += sum_y[b, ch]
                        y[a, ch] = sum_y[a, ch] / np.float32(sum_w)
                    weight[a] = sum_w
                    owner[b] = a
                    # erase b from a's list: swap in the last entry and re-examine this slot
                    last = size[a] - 1
                    if j != last:
                        nb_id[sa + j] = nb_id[sa + last]
                        nb_len[sa + j] = nb_len[sa + last]
                        hash_pos[nb_id[sa + j]] = j
                        j -= 1
                    size[a] -= 1
                    if size[a] < fix_loop:
                        fix_loop -= 1
                    hash_pos[b] = -1
                    # b's neighbours become a's
                    sb = start[b]
                    for t in range(size[b]):
                        k = nb_id[sb + t]
                        lk = nb_len[sb + t]
                        if k == a:
                            continue
                        sk = start[k]
                        pos = hash_pos[k]
                        if pos > -1:  # common neighbour: add the connection lengths, drop b from k's list
                            nb_len[sa + pos] += lk
                            q = 0
                            while nb_id[sk + q] != a:
                                q += 1
                            nb_len[sk + q] = nb_len[sa + pos]
                            q = 0
                            while nb_id[sk + q] != b:
                                q += 1
                            lastk = size[k] - 1
                            if q != lastk:
                                nb_id[sk + q] = nb_id[sk + lastk]
                                nb_len[sk + q] = nb_len[sk + lastk]
                            size[k] -= 1
                        else:  # new neighbour of a: append it, and replace b by a in k's list
                            if size[a] == capacity[a]:
                                new_cap = 2 * capacity[a]
                                if top + new_cap > nb_id.shape[0]:
                                    grown = max(2 * nb_id.shape[0], top + new_cap)
                                    ids = np.zeros(grown, np.int64)
                                    lens = np.zeros(grown, np.int64)
                                    ids[:top] = nb_id[:top]
                                    lens[:top] = nb_len[:top]
                                    nb_id = ids
                                    nb_len = lens
                                for e in range(size[a]):
                                    nb_id[top + e] = nb_id[sa + e]
                                    nb_len[top + e] = nb_len[sa + e]
                                start[a] = top
                                sa = top
                                capacity[a] = new_cap
                                top += new_cap
                            nb_id[sa + size[a]] = k
                            nb_len[sa + size[a]] = lk
                            hash_pos[k] = size[a]
                            size[a] += 1
                            q = 0
                            while nb_id[sk + q] != b:
                                q += 1
                            nb_id[sk + q] = a
                    # delete group b: swap the last active group into its IDX slot
                    size[b] = 0
                    m -= 1
                    p = lut[b]
                    lut[idx[m]] = p
                    moved = idx[p]
                    idx[p] = idx[m]
                    idx[m] = moved
                j += 1
            sa = start[a]
            for h in range(size[a]):
                hash_pos[nb_id[sa + h]] = -1
            i += 1
        it += 1

    out = np.empty((n, bands), np.float32)
    for g in range(n):
        r = g
        while owner[r] != r:
            r = owner[r]
        q = g
        while owner[q] != r:  # path compression
            nxt = owner[q]
            owner[q] = r
            q = nxt
        out[g] = y[r]
    return out.reshape(rows, cols, bands)


_fuse_compiled = numba.njit(cache=True, nogil=True)(_fuse) if numba is not None else None


def region_fusion_exact_numpy(image, lam, max_loop=50, *, use_numba=None):
    """Sequential region fusion on the host (NumPy in, NumPy out); ``use_numba=None`` uses it when installed."""
    image = np.ascontiguousarray(np.asarray(image, np.float32))
    if image.ndim != 3:
        raise ValueError(f"region_fusion_exact_numpy expects an (H, W, C) array, got shape {image.shape}")
    if use_numba and _fuse_compiled is None:
        raise ValueError("use_numba=True but numba is not installed (pip install numba)")
    fn = _fuse_compiled if (use_numba or use_numba is None) and _fuse_compiled is not None else _fuse
    if image.size == 0:
        return image.copy()
    return fn(image, float(lam), int(max_loop))
