"""Choosing hyperparameters and the stopping time without the clean image.

A *criterion* estimates the per-entry mean squared error of a method's output from the observation alone
(lower is better).  ``jaxreg.solve(..., criteria=("sure",))`` and ``jaxreg.sweep(..., criteria=...)`` compute it
inside the compiled loop at every iteration and record it in ``history[name]``; ``SweepResult.best(name)``
minimises it over a grid; a method whose ``stopping`` is a criterion name keeps the output with the lowest
estimate seen so far and stops after ``patience`` iterations without improvement (:class:`Plan`).

Every criterion runs *companion* solves beside the base solve, in lockstep, with the **same key** (the same
network weights, inputs and injected noise: common random numbers) and the same hyperparameters, on a modified
observation: the base run is always the one on all the data, so its image is the one returned.

* ``"sure"`` — Monte-Carlo SURE (Ramani, Blu & Unser, "Monte-Carlo SURE: a black-box optimization of
  regularization parameters for general denoising algorithms", IEEE TIP 2008) for :class:`Denoise` with known
  ``σ``.  With ``f`` the whole iterative method as a function of ``y`` (N entries), one probe ``b`` and a step ``ε``::

      SURE = ‖y − f(y)‖²/N − σ² + (2σ²/N) · bᵀ(f(y + εb) − f(y))/ε

  ``b`` is Rademacher (±1; exact for a diagonal Jacobian) or Gaussian, drawn once from the key and shared by
  every grid point.  On a :class:`Deblur` (circular, known σ) ``"sure"`` is projected GSURE (below).
* ``"gsure"`` — projected generalised SURE (Eldar, "Generalized SURE for exponential families: applications to
  regularization", IEEE TSP 2009) for a circular :class:`Deblur`: the risk of ``P x̂`` with ``P = A⁺A`` the
  projection onto the frequencies the blur keeps (``|Ĥ|² > threshold · max|Ĥ|²``)::

      GSURE = [‖P f(y) − A⁺y‖² − σ²‖A⁺‖_F² + 2σ² (A⁺b)ᵀ(f(y + εb) − f(y))/ε] / N

  Everything is diagonal in the DFT (``A⁺ = F⁻¹ diag(conj Ĥ/|Ĥ|²) F`` on kept frequencies, ``‖A⁺‖_F² = C Σ 1/|Ĥ|²``).
  It does not see the error in the frequencies the blur removes.
* ``"psure"`` — predicted SURE, the risk of ``A x̂`` per measurement (any linear ``A``, known σ; Ramani, Liu,
  Rosen, Nielsen & Fessler, IEEE TIP 2012): ``[‖y − A f(y)‖² − Mσ² + 2σ² bᵀA(f(y + εb) − f(y))/ε] / M``.
* ``"holdout"`` — for :class:`Inpaint` and :class:`CompressiveSensing`.  Inpainting: a random ``fraction`` of
  the observed entries (pixels when the mask is shared by the channels) is hidden from ``folds`` companion runs,
  which are scored on them; with ``M`` the observed entries, ``N`` all entries, ``h`` the mean over folds of the
  held-out MSE::

      HOLDOUT = [ (N − |M|) · h + Σ_{M} (y − f(y))² ] / N              (scope="image", default)
      HOLDOUT = h = mean_folds  Σ_{hidden} (y − f_k)² / #hidden        (scope="missing")

  The first estimates the error of the whole image, the quantity PSNR measures: ``h`` stands for the error on
  the missing entries, and on the observed ones the error *is* the residual when the data are noise-free
  (the model of :class:`Inpaint`).  Scoring only the missing entries prefers too much regularisation where
  fitting the observed entries matters (TV on Barbara, 50 % observed: it picked λ = 0.05 where the best was
  2e-4, −2.0 dB).  With noisy observed entries the residual is optimistic (it favours smaller λ);
  ``scope="missing"`` avoids that.  Bias: a fold sees ``1 − fraction`` of the data, so ``h`` slightly
  overstates the error of the run on all the data and prefers a slightly larger λ; the returned image is the
  base run on all the data (the refit), not a fold's.

  For :class:`CompressiveSensing` (``y = m ⊙ (A x)``, measurements ``(M, C)``): a fold hides a random
  ``fraction`` of the kept measurements (whole rows, shared by the channels) by setting their entries of the
  measurement mask ``m`` to 0 (no shape changes), and is scored by how well its output predicts them::

      HOLDOUT = mean_folds  Σ_{hidden} (y − A f_k)² / #hidden        (always; scope="missing" is the same)

  the per-measurement prediction error of measurements the run did not see (plus the noise variance when
  ``y`` is noisy; the minimiser is the same).  It is not the image MSE: ``A`` keeps ``M < N`` patterns and the
  error in the patterns nobody measured is not seen, so there is no whole-image form (``scope="image"`` is an
  error); with the orthonormal :class:`~jaxreg.operators.SubsampledHadamard` it estimates the error of ``x̂``
  in the measured Walsh patterns, per pattern.  The same fold bias as above applies.
* ``"j-invariance"`` — Noise2Self (Batson & Royer, "Noise2Self: blind denoising by self-supervision", ICML 2019;
  as ``skimage.restoration.calibrate_denoiser`` with ``approximate_loss=True``) for identity-model problems with
  unknown σ: the pixels of one stride-``stride`` grid (offset ``stride²//2``, as scikit-image) are replaced by
  the mean of their 4 neighbours (mirror boundary), the companion run restores that image, and it is scored on
  the grid pixels: ``Σ_grid (y − f_J)² / #grid``.  This is the MSE plus σ² (σ² is subtracted when the problem's
  σ is known); the minimiser is the same.

**Linear filters: the exact trace.**  When the method is a linear shift-invariant filter — it has
``linear_symbol(problem)``, the DFT symbol ``W`` with ``f(y) = F⁻¹(W ⊙ F y)`` per channel (``wiener``) — the SURE
family needs no paired run and no probe: the Monte-Carlo term is replaced by its expectation, a sum over the
frequencies (``exact=None``, the default, decides this; ``exact=False`` forces the paired run)::

      bᵀ J b / ε-difference  →  tr(J) = C Σ_k Re W_k                     (SURE)
                                tr(A J) = C Σ_k Re(K̂_k W_k)               (predicted SURE)
                                tr((A⁺)ᵀ J) = C Σ_k Re(conj(G_k) W_k)      (projected GSURE)

**ε.**  ``eps=None`` uses ``ε = eps_scale · σ``.  For classical methods ``eps_scale = 0.01`` (the finite
difference then moves every entry by 1 % of the noise: far below the scale on which the methods are non-linear,
far above float32's round-off, which is ~1e-7 of the image).  For methods that train a network (DIP and the
other deep priors), a criterion named by string uses ``eps_scale = NETWORK_EPS_SCALE = 0.3``::

      ε = 0.3 σ   (network methods)     ε = 0.1 σ   (ALR, ℓ0 smoothing, region fusion)     ε = 0.01 σ   (others)

The paired training run on ``y + εb`` does not follow ``f(y) + ε J b``: Adam's normalised steps amplify the
perturbation, and ``bᵀ(f(y + εb) − f(y))`` carries a part that does not shrink with ``ε``.  At ``ε = 0.01 σ``
that part dominates from the first iterations (DIP, 64×64 crop of ``coffee``, σ = 0.1: the divergence estimate
was −0.40 N at iteration 100, where ``ε = 0.3 σ`` and ``ε = σ`` agree on +0.007 N and +0.005 N), and SURE
stopping missed the oracle iterate by 5.9 dB; at ``0.3 σ`` by 0.01 dB; at ``σ`` by 0.31 dB (the secant's
non-linearity bias grows with the iterations: +0.12 N against +0.17 N at iteration 1000).  An explicit ``eps``,
or a criterion passed as an instance (``SURE(eps_scale=…)``), is used as given.  A method states its own scale
as the class attribute ``sure_eps_scale``.  ALR (Adam on the image against a ReLU critic, whose gradient is
piecewise constant in the image) uses ``0.1``: chosen on three photos that are in no table (scikit-image coffee,
chelsea, camera; 128×128, σ = 0.2, 10 λ), where the RMS error of the SURE curve over λ against the true MSE,
relative to the mean MSE, was 0.082 / 0.158 / 0.064 at ``0.01``, 0.050 / 0.099 / 0.049 at ``0.1`` and
0.109 / 0.217 / 0.131 at ``0.3`` (at ``0.01`` the curve is jagged: the finite difference sees the critic's
gradient jump or not; at ``0.3`` the secant's curvature adds a bias).  Methods with hard decisions
(``l0-smoothing``, ``region-fusion``, the ℓ0 step of ``dip-l0``) are piecewise constant in ``y``: a finite
difference of 1 % of σ sees a jump or nothing.  A step of ``0.1 σ`` moves enough decisions to average over them:
on four photos in no table (scikit-image coffee, chelsea, camera, rocket; 128×128; σ 0.05 / 0.1 / 0.2; 12 λ)
SURE's pick for region fusion missed the oracle by 1.27 dB on average (worst 4.60) at ``0.01 σ``, 0.03 (worst
0.19) at ``0.1 σ``, 0.07 (0.41) at ``0.3 σ``, 0.54 (1.39) at ``σ``, and J-invariance by 0.54 (2.25); for ℓ0
smoothing the steps 0.01σ–0.3σ gave the same picks (0.02, worst 0.22) and σ failed (2.47).  So both use
``sure_eps_scale = 0.1``.  SURE stopping of DIP and DIP-TV with ``ε = 0.3 σ``: the table in docs/selection.md.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import jax
import jax.numpy as jnp

from .operators import kernel_otf
from .operators.fourier import SPATIAL_AXES
from .problems import CompressiveSensing, Deblur, Denoise, Inpaint, Problem
from .problems.identity import IdentityProblem

CRITERIA = ("sure", "gsure", "psure", "holdout", "j-invariance")
PROBES = ("rademacher", "gaussian")
HOLDOUT_SCOPES = ("image", "missing")
NETWORK_EPS_SCALE = 0.3  # ε / σ of the perturbation criteria for methods that train a network (module docstring)
GROUP_MODES = ("vmap", "map")


def _sum(x):
    return jnp.sum(x)


def _draw_probe(key, shape, kind, dtype):
    if kind == "rademacher":
        return jax.random.rademacher(key, shape, dtype)
    return jax.random.normal(key, shape, dtype)


def _check_probe(name, probe, eps, eps_scale):
    if probe not in PROBES:
        raise ValueError(f"criterion {name!r}: probe must be one of {PROBES}, got {probe!r}")
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"criterion {name!r}: eps must be a positive finite number, got {eps!r}")
    if not (np.isfinite(eps_scale) and 0 < eps_scale <= 1):
        raise ValueError(f"criterion {name!r}: eps_scale must be in (0, 1], got {eps_scale!r}")


def _sigma(problem, name):
    sigma = getattr(problem, "sigma", None)
    if sigma is None:
        kind = type(problem).__name__
        raise ValueError(f"criterion {name!r} needs the noise level: build the problem as {kind}(..., sigma=σ) "
                         f"(use 'j-invariance' for denoising with an unknown σ)")
    if not sigma > 0:
        raise ValueError(f"criterion {name!r} needs a positive noise level, got sigma={sigma!r}")
    return float(sigma)


# ------------------------------------------------------------------------------------------------
# criteria
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Criterion:
    """Base class: ``check`` (eager), ``companions`` (eager: the modified problems and the criterion's data),
    ``score`` (traced: the estimate from the base output, the companions' outputs and the data)."""

    name = ""

    def check(self, problem) -> None:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement check")

    def companions(self, problem, key):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement companions")

    def score(self, problem, base, outs, data, method=None):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement score")


@dataclasses.dataclass(frozen=True)
class _Perturbed(Criterion):
    """What the SURE family shares: one companion on ``y + εb``."""

    eps: float | None = None
    eps_scale: float = 0.01
    probe: str = "rademacher"
    exact: bool | None = None  # None: the exact trace when the method is a linear filter (make_plan decides)

    def check(self, problem):
        _check_probe(self.name, self.probe, self.eps, self.eps_scale)
        _sigma(problem, self.name)

    def step_size(self, problem):
        return float(self.eps) if self.eps is not None else self.eps_scale * _sigma(problem, self.name)

    def companions(self, problem, key):
        y = problem.y
        sigma = jnp.asarray(_sigma(problem, self.name), y.dtype)
        if self.exact:  # a linear filter: the divergence is a trace in Fourier space, no paired run
            return [], {"sigma": sigma}
        b = _draw_probe(key, y.shape, self.probe, y.dtype)
        eps = self.step_size(problem)
        data = {"b": b, "eps": jnp.asarray(eps, y.dtype), "sigma": sigma}
        return [problem.replace(y=y + eps * b)], data

    def exact_trace(self, problem, base, method, weight=None):
        """``tr(L J)`` for a linear shift-invariant filter ``f(y) = F⁻¹(W ⊙ F y)`` per channel
        (``W = method.linear_symbol(problem)``) and ``L = F⁻¹ diag(weight) F`` (identity when ``weight`` is None):
        ``C · Σ_k Re(weight_k W_k)`` over the DFT frequencies — the expectation of the Monte-Carlo term
        ``bᵀ L (f(y + εb) − f(y)) / ε``, with no paired run and no probe noise."""
        w = method.linear_symbol(problem)
        w = w if weight is None else weight * w
        return base.shape[-1] * jnp.sum(jnp.real(jnp.broadcast_to(w, base.shape[:-3] + base.shape[-3:-1] + (1,))))


def _pinv_symbols(problem, threshold):
    """``(G, P)``: the DFT symbols of ``A⁺`` and ``P = A⁺A`` for a circular blur (kept: ``|Ĥ|² > t·max|Ĥ|²``)."""
    otf = kernel_otf(problem.kernel.astype(problem.y.dtype), problem.y.shape)
    power = jnp.abs(otf) ** 2
    keep = power > threshold * jnp.max(power)
    g = jnp.where(keep, jnp.conj(otf) / jnp.where(keep, power, 1.0), 0.0)
    return g, keep.astype(problem.y.dtype)


def _rfft_weights(shape):
    """Weights of the half spectrum (``rfft`` over the width) in Parseval's sum: the columns that stand for
    two conjugate columns of the full spectrum count twice."""
    w = shape[-2]
    cols = np.full(w // 2 + 1, 2.0)
    cols[0] = 1.0
    if w % 2 == 0:
        cols[-1] = 1.0
    return jnp.asarray(cols.reshape(-1, 1), jnp.float32)


def _apply_symbol(symbol, x):
    return jnp.real(jnp.fft.ifft2(symbol * jnp.fft.fft2(x, axes=SPATIAL_AXES), axes=SPATIAL_AXES)).astype(x.dtype)


@dataclasses.dataclass(frozen=True)
class GSURE(_Perturbed):
    """Projected GSURE for a circular deblurring problem with known σ (module docstring)."""

    name = "gsure"
    threshold: float = 1e-3

    def check(self, problem):
        if not (isinstance(problem, Deblur) and problem.boundary == "circular"):
            raise ValueError(f"criterion 'gsure' (projected GSURE) needs a Deblur with boundary='circular', "
                             f"got {type(problem).__name__}" + (f" with boundary={problem.boundary!r}"
                                                                  if isinstance(problem, Deblur) else ""))
        if not 0 < self.threshold < 1:
            raise ValueError(f"criterion 'gsure': threshold must be in (0, 1), got {self.threshold!r}")
        super().check(problem)

    def companions(self, problem, key):
        comps, data = super().companions(problem, key)
        # What does not depend on the output is computed once here, not at every iteration of every grid point:
        # the kept half-spectrum, the half-spectrum of A⁺y, A⁺b, ‖A⁺‖_F² (Σ over frequencies × channels).
        g, keep = _pinv_symbols(problem, self.threshold)
        y = problem.y
        half = y.shape[-2] // 2 + 1
        data["keep"] = keep[..., :half, :]
        data["pinv_y"] = (g * jnp.fft.fft2(y, axes=SPATIAL_AXES))[..., :half, :]
        if not self.exact:
            data["weighted_b"] = _apply_symbol(g, data["b"])  # A⁺b
        else:
            data["pinv_adjoint"] = jnp.conj(g)  # the symbol of (A⁺)ᵀ: tr((A⁺)ᵀ J) = C Σ Re(conj(G) W)
        data["pinv_fro2"] = _sum(jnp.broadcast_to(jnp.abs(g) ** 2, y.shape))
        data["parseval"] = _rfft_weights(y.shape)
        return comps, data

    def score(self, problem, base, outs, data, method=None):
        sigma2 = data["sigma"] ** 2
        n = base.size
        # ‖P f(y) − A⁺y‖² by Parseval on the half spectrum of the real image: one FFT of the output
        spectrum = data["keep"] * jnp.fft.rfft2(base, axes=SPATIAL_AXES) - data["pinv_y"]
        fit = _sum(data["parseval"] * jnp.square(jnp.abs(spectrum))) / (base.shape[-3] * base.shape[-2])
        if self.exact:
            trace = self.exact_trace(problem, base, method, data["pinv_adjoint"])
        else:
            trace = _sum(data["weighted_b"] * (outs[0] - base)) / data["eps"]
        return (fit - sigma2 * data["pinv_fro2"] + 2.0 * sigma2 * trace) / n


@dataclasses.dataclass(frozen=True)
class PredictedSURE(_Perturbed):
    """Predicted SURE (risk of ``A x̂`` per measurement) for any linear problem with known σ."""

    name = "psure"

    def check(self, problem):
        if not isinstance(problem, (Denoise, Deblur)):
            raise ValueError(f"criterion 'psure' needs a Denoise or Deblur problem with known sigma, "
                             f"got {type(problem).__name__}")
        super().check(problem)

    def score(self, problem, base, outs, data, method=None):
        y, sigma2 = problem.y, data["sigma"] ** 2
        m = y.size
        if self.exact:  # tr(A J): the blur's symbol times the filter's (1 for Denoise)
            otf = kernel_otf(problem.kernel.astype(y.dtype), y.shape) if isinstance(problem, Deblur) else None
            div = self.exact_trace(problem, base, method, otf)
            return _sum(jnp.square(y - problem.forward(base))) / m - sigma2 + 2.0 * sigma2 * div / m
        # one summing pass: ‖y − A f(y)‖² + (2σ²/ε)·bᵀA(f(y + εb) − f(y))
        weight = 2.0 * sigma2 / data["eps"]
        return _sum(jnp.square(y - problem.forward(base))
                    + weight * data["b"] * problem.forward(outs[0] - base)) / m - sigma2


@dataclasses.dataclass(frozen=True)
class SURE(PredictedSURE):
    """Monte-Carlo SURE for denoising with known σ (module docstring): predicted SURE with ``A = I``."""

    name = "sure"

    def check(self, problem):
        if not isinstance(problem, Denoise):
            raise ValueError(f"criterion 'sure' (Monte-Carlo SURE) applies to Denoise with known sigma and to a "
                             f"circular Deblur (projected GSURE), not to {type(problem).__name__}")
        _Perturbed.check(self, problem)


def _hide(observed, count, key):
    """A 0/1 array of ``observed``'s shape: ``count`` of its True entries chosen uniformly at random."""
    u = np.asarray(jax.random.uniform(key, observed.shape))
    u = np.where(observed, u, np.inf)
    cut = np.partition(u.ravel(), count - 1)[count - 1]
    return (u <= cut) & observed


def _measured_rows(mask):
    """The measurements (rows, first axis) a compressive-sensing mask keeps in some channel, ``(M,)`` bool."""
    m = np.asarray(mask)
    return np.any(m.reshape(m.shape[0], -1) > 0, axis=1)


@dataclasses.dataclass(frozen=True)
class Holdout(Criterion):
    """Hold-out validation for inpainting and compressive sensing (module docstring).

    ``scope`` (Inpaint only): ``"image"`` (the default, ``None``) or ``"missing"``.  A CompressiveSensing
    problem is always scored on the held-out measurements (the per-measurement prediction error); there
    ``scope="image"`` is an error and ``"missing"`` is the same estimate.
    """

    name = "holdout"
    fraction: float = 0.1
    folds: int = 1
    scope: str | None = None

    def check(self, problem):
        if not isinstance(problem, (Inpaint, CompressiveSensing)):
            raise ValueError(f"criterion 'holdout' needs an Inpaint problem (a mask of observed entries) or a "
                             f"CompressiveSensing problem (measurements to hold out), got {type(problem).__name__}")
        if not 0 < self.fraction < 1:
            raise ValueError(f"criterion 'holdout': fraction must be in (0, 1), got {self.fraction!r}")
        if int(self.folds) < 1:
            raise ValueError(f"criterion 'holdout': folds must be >= 1, got {self.folds!r}")
        if self.scope is not None and self.scope not in HOLDOUT_SCOPES:
            raise ValueError(f"criterion 'holdout': scope must be one of {HOLDOUT_SCOPES}, got {self.scope!r}")
        if isinstance(problem, CompressiveSensing):
            if self.scope == "image":
                raise ValueError("criterion 'holdout': scope='image' applies to Inpaint; a CompressiveSensing "
                                 "problem is scored on its held-out measurements (leave scope unset)")
            observed, what = int(_measured_rows(problem.mask).sum()), "measurements"
        else:
            observed, what = int(np.sum(np.asarray(problem.mask))), "observed entries"
        if round(self.fraction * observed) < 1 or round(self.fraction * observed) >= observed:
            raise ValueError(f"criterion 'holdout': hiding {self.fraction} of {observed} {what} leaves "
                             f"none to hide or none to solve with")

    def companions(self, problem, key):
        mask = problem.mask
        cs = isinstance(problem, CompressiveSensing)
        # CompressiveSensing: whole measurements (rows of the mask), shared by the channels
        observed = _measured_rows(mask) if cs else np.asarray(mask) > 0
        shape = (mask.shape[0],) + (1,) * (mask.ndim - 1) if cs else mask.shape
        count = int(round(self.fraction * observed.sum()))
        hidden, problems = [], []
        for k in jax.random.split(key, int(self.folds)):
            h = jnp.asarray(_hide(observed, count, k).reshape(shape), mask.dtype)
            hidden.append(h)
            kept = mask * (1 - h)
            problems.append(problem.replace(mask=kept) if cs else problem.replace(op=problem.op.replace(mask=kept)))
        return problems, {"hidden": jnp.stack(hidden)}

    def score(self, problem, base, outs, data, method=None):
        y = problem.y
        cs = isinstance(problem, CompressiveSensing)
        total = 0.0
        for k in range(int(self.folds)):
            h = jnp.broadcast_to(data["hidden"][k], y.shape)
            if cs:  # the hidden measurements the problem keeps, predicted by the fold: A f_k
                h = h * jnp.broadcast_to(problem.mask, y.shape).astype(y.dtype)
                total = total + _sum(h * jnp.square(y - problem.op.apply(outs[k]))) / _sum(h)
            else:
                total = total + _sum(h * jnp.square(y - outs[k])) / _sum(h)
        missing = total / int(self.folds)  # MSE on entries the run does not see
        if cs or self.scope == "missing":
            return missing
        # the whole image: the observed entries' error is the residual there (exact for noise-free data)
        m = jnp.broadcast_to(problem.mask, y.shape)
        return ((y.size - _sum(m)) * missing + _sum(m * jnp.square(y - base))) / y.size


def interpolate_neighbours(image):
    """Each pixel replaced by the mean of its 4 spatial neighbours, mirror boundary (as scikit-image)."""
    h_axis, w_axis = (image.ndim + a for a in SPATIAL_AXES)
    pad = [(0, 0)] * image.ndim
    pad[h_axis] = pad[w_axis] = (1, 1)
    p = jnp.pad(image, pad, mode="reflect")
    h, w = image.shape[h_axis], image.shape[w_axis]

    def window(dh, dw):
        return jax.lax.slice_in_dim(jax.lax.slice_in_dim(p, 1 + dh, 1 + dh + h, axis=h_axis), 1 + dw, 1 + dw + w,
                                    axis=w_axis)

    return 0.25 * (window(-1, 0) + window(1, 0) + window(0, -1) + window(0, 1))


def grid_mask(image_shape, stride: int = 4, offset: int | None = None):
    """The 0/1 grid of one J-invariance mask, ``(…, H, W, 1)``: every ``stride``-th pixel from phase
    ``unravel(offset, (stride, stride))`` (default ``offset = stride²//2``, as scikit-image)."""
    offset = stride * stride // 2 if offset is None else int(offset)
    ph, pw = np.unravel_index(offset, (stride, stride))
    shape = tuple(image_shape)
    m = np.zeros(shape[:-1] + (1,), np.float32)
    m[..., ph::stride, pw::stride, :] = 1.0
    return m


@dataclasses.dataclass(frozen=True)
class JInvariance(Criterion):
    """Noise2Self / J-invariance for denoising with an unknown noise level (module docstring)."""

    name = "j-invariance"
    stride: int = 4
    offset: int | None = None

    def check(self, problem):
        if not isinstance(problem, IdentityProblem):
            raise ValueError(f"criterion 'j-invariance' applies to identity-model problems (Denoise, Smooth, "
                             f"JPEGArtifacts), not to {type(problem).__name__}")
        if int(self.stride) < 2:
            raise ValueError(f"criterion 'j-invariance': stride must be >= 2, got {self.stride!r}")
        if self.offset is not None and not 0 <= int(self.offset) < int(self.stride) ** 2:
            raise ValueError(f"criterion 'j-invariance': offset must be in [0, stride²), got {self.offset!r}")
        h, w = (problem.image_shape[a] for a in SPATIAL_AXES)
        if min(h, w) < 2 * int(self.stride):
            raise ValueError(f"criterion 'j-invariance' needs images of at least {2 * int(self.stride)} pixels "
                             f"per side, got {h}x{w}")

    def companions(self, problem, key):
        y = problem.y
        m = jnp.asarray(grid_mask(y.shape, int(self.stride), self.offset), y.dtype)
        masked = jnp.where(m > 0, interpolate_neighbours(y), y)
        sigma = getattr(problem, "sigma", None)
        data = {"mask": m, "sigma": jnp.asarray(0.0 if sigma is None else sigma, y.dtype)}
        return [problem.replace(y=masked)], data

    def score(self, problem, base, outs, data, method=None):
        y = problem.y
        m = jnp.broadcast_to(data["mask"], y.shape)
        return _sum(m * jnp.square(y - outs[0])) / _sum(m) - data["sigma"] ** 2


_BY_NAME = {"sure": SURE, "gsure": GSURE, "psure": PredictedSURE, "holdout": Holdout, "j-invariance": JInvariance}


def criterion(spec, problem=None, *, eps_scale: float | None = None) -> Criterion:
    """A :class:`Criterion` from a name (``"sure"``, …) or an instance; ``"sure"`` on a circular
    :class:`Deblur` is projected GSURE.  A perturbation criterion named by string gets ``eps_scale`` when it is
    given (the method's ``sure_eps_scale``: ``NETWORK_EPS_SCALE`` = 0.3 for methods that train a network; module
    docstring), else the class default (``0.01``); an instance is returned as given."""
    if isinstance(spec, Criterion):
        return spec
    if not isinstance(spec, str) or spec not in _BY_NAME:
        raise ValueError(f"unknown criterion {spec!r}; criteria: {', '.join(CRITERIA)}")
    cls = GSURE if spec == "sure" and isinstance(problem, Deblur) else _BY_NAME[spec]
    if issubclass(cls, _Perturbed) and eps_scale is not None:
        return cls(eps_scale=float(eps_scale))
    return cls()


# ------------------------------------------------------------------------------------------------
# the plan the driver runs
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Plan:
    """What the driver records and how it selects: the one stopping-and-selection component of every method.

    ``criteria`` (history keys ``names``) are recorded every iteration.  ``select`` is the rule that keeps an
    output and stops the run, whichever method runs:

    * a criterion name: keep the output with the lowest estimate seen so far; stop (``CONVERGED``) after
      ``patience`` iterations without a new minimum;
    * ``"es-wmv"``: the windowed moving variance of the method's iterates over ``window`` iterations
      (:mod:`jaxreg.methods.early_stopping`), recorded as ``history["es-wmv"]``; keep the output ``delay``
      iterations after the variance's minimum (``delay`` comes from the method: the mean delay of its average);
      stop after ``patience`` iterations without a new minimum.

    ``group_mode`` says how the base run and its companions advance: ``"vmap"`` (one batched step; classical
    methods) or ``"map"`` (``lax.map``, one after the other in the same compiled program; methods whose state
    holds network weights, where a batch of different weights becomes a grouped convolution that XLA:CPU runs
    slowly, and a method that asks for it with ``criteria_group_mode = "map"``, such as region fusion's
    while-loops).
    """

    criteria: tuple
    names: tuple
    select: str | None = None
    patience: int = 0
    group_mode: str = "vmap"
    window: int = 0

    @property
    def grouped(self) -> bool:
        """Whether companion runs are stepped beside the base run (some criterion is recorded)."""
        return bool(self.criteria)

    @property
    def sizes(self):
        return tuple(int(c.folds) if isinstance(c, Holdout) else 0 if getattr(c, "exact", False) else 1
                     for c in self.criteria)

    def build(self, problem: Problem, key):
        """``(group, data)``: the base problem and its companions stacked on a leading axis, and each
        criterion's data (eager; ``key`` draws the probes and splits)."""
        members, data = [problem], {}
        for i, (name, c) in enumerate(zip(self.names, self.criteria)):
            c.check(problem)
            comps, d = c.companions(problem, jax.random.fold_in(key, i))
            members += comps
            data[name] = d
        return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *members), data

    def scores(self, problem, outputs, data, method=None) -> dict:
        """``{name: estimate}`` from the stacked outputs (base first) — traced; ``method`` is the run's config
        (a linear filter's symbol for the exact SURE family)."""
        return self.scores_of(problem, outputs[0], outputs[1:], data, method=method)

    def scores_of(self, problem, base, companions, data, method=None) -> dict:
        """:meth:`scores` from the base output and the companions' outputs stacked (None when there are none)."""
        out, start = {}, 0
        for name, c, size in zip(self.names, self.criteria, self.sizes):
            outs = None if companions is None else companions[start:start + size]
            out[name] = c.score(problem, base, outs, data[name], method=method)
            start += size
        return out

    # -- the selection rule (traced) ------------------------------------------------------------------------
    def select_init(self, output, iterate):
        """Selection state before the first iteration: the kept image is the initial ``output``."""
        if self.select == "es-wmv":
            from .methods import early_stopping as es
            rule = es.stopping_init(iterate, self.window)
            rule["image"] = output
        else:
            rule = {"image": output, "value": jnp.asarray(jnp.inf, output.dtype), "iteration": jnp.asarray(0, jnp.int32),
                    "wait": jnp.asarray(0, jnp.int32)}
        return {"rule": rule, "output": output, "iteration": jnp.asarray(0, jnp.int32)}

    def select_update(self, sel, *, accepted, iteration, output, iterate, values, delay):
        """``(state, value, stop)`` after an iteration: ``output`` is the method's output this iteration,
        ``iterate`` what ES-WMV's window holds (the raw iterate), ``values`` the criteria's estimates,
        ``iteration`` the 1-based count of accepted iterations; nothing changes when ``accepted`` is False."""
        if self.select == "es-wmv":
            from .methods import early_stopping as es
            rule = jax.lax.cond(accepted, lambda r: es.stopping_update(r, iterate, output, delay),
                                lambda r: r, sel["rule"])
            kept = es.stopping_output(rule, output)
            return ({"rule": rule, "output": kept, "iteration": es.selected_iteration(rule)}, rule["var"],
                    accepted & es.stopping_stop(rule, self.patience))
        rule, value = sel["rule"], values[self.select]
        better = accepted & (value < rule["value"])
        wait = jnp.where(better, 0, rule["wait"] + accepted.astype(jnp.int32))
        rule = {"image": jnp.where(better, output, rule["image"]), "value": jnp.where(better, value, rule["value"]),
                "iteration": jnp.where(better, iteration, rule["iteration"]), "wait": wait}
        return ({"rule": rule, "output": rule["image"], "iteration": rule["iteration"]}, value,
                accepted & (wait >= self.patience))


def probe_key(key):
    """The key of the criteria's probes and splits, derived from the run's key (drawn once per call and
    shared by every grid point and seed)."""
    return jax.random.fold_in(key, 0x5E1EC7)


def make_plan(problem, method, criteria=(), patience=None):
    """The :class:`Plan` for ``criteria`` plus the method's ``stopping`` rule (a criterion name or
    ``"es-wmv"``), or None when there is nothing to record or select; eager checks."""
    if isinstance(criteria, (str, Criterion)):
        criteria = (criteria,)
    if not isinstance(criteria, (tuple, list)):
        raise ValueError(f"criteria must be a tuple of names from {CRITERIA}, got {criteria!r}")
    problems = problem if isinstance(problem, (list, tuple)) else [problem]
    specs = list(criteria)
    select = getattr(method, "stopping", None)
    select = select if select in CRITERIA + ("es-wmv",) else None
    names = [c if isinstance(c, str) else c.name for c in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"criteria are repeated: {names}")
    if select in CRITERIA and select not in names:
        specs.append(select)
        names.append(select)
    if not specs and select is None:
        return None
    built = [criterion(s, problems[0], eps_scale=getattr(method, "sure_eps_scale", None)) for s in specs]
    linear = callable(getattr(method, "linear_symbol", None))
    for i, c in enumerate(built):
        if isinstance(c, _Perturbed):
            if c.exact and not linear:
                raise ValueError(f"criterion {c.name!r}: exact=True needs a linear shift-invariant method (one with "
                                 f"linear_symbol, e.g. 'wiener'); {method.name!r} is not one")
            if c.exact is None:
                built[i] = dataclasses.replace(c, exact=linear)
    for p in problems:
        for c in built:
            c.check(p)
    if select is not None:
        patience = int(getattr(method, "patience", 0) if patience is None else patience)
        if patience < 1:
            raise ValueError(f"{method.name}: patience must be >= 1, got {patience}")
    mode = getattr(method, "criteria_group_mode", "vmap")
    window = int(getattr(method, "window", 0)) if select == "es-wmv" else 0
    return Plan(tuple(built), tuple(names), select, int(patience or 0), mode, window)


__all__ = ["CRITERIA", "NETWORK_EPS_SCALE", "Criterion", "GSURE", "Holdout", "JInvariance", "Plan", "PredictedSURE", "SURE",
           "criterion", "grid_mask", "interpolate_neighbours", "make_plan", "probe_key"]
