"""Deep priors as values: any untrained-network method takes ``prior=`` (network + input + what is trained), a
registered DRP preset is the same program as its algorithm with the DRP prior, and misuse fails before
compiling."""

import numpy as np
import jax
import jax.numpy as jnp
import pytest

import jaxreg
from jaxreg import _driver, methods, nets, priors, problems
from test_drp import KEY, SMALL, check_only_seed_and_bn_moved, crop  # noqa: F401  (crop is a fixture)


def test_a_registered_preset_is_its_algorithm_with_the_prior(crop):  # noqa: F811
    """``drp`` described by its own fields and ``drp`` given ``priors.drp(...)`` run the same program: the same
    bits after a few steps."""
    problem = problems.Denoise(crop[1])
    own = jaxreg.solve(problem, methods.get("drp", **SMALL), key=KEY, num_iters=3)
    given = jaxreg.solve(problem, methods.get("drp", prior=priors.drp("denoising", **SMALL)), key=KEY, num_iters=3)
    assert np.asarray(own.image).tobytes() == np.asarray(given.image).tobytes()


def test_dip_fits_the_drp_prior_training_only_its_seed_and_batchnorm(crop):  # noqa: F811
    """DIP's algorithm (MSE, Adam) with the DRP prior: the convolutions stay bitwise at their initialisation,
    the seed and the BatchNorm move — no class written for the pairing."""
    method = methods.get("dip", prior=priors.drp("denoising", **SMALL), lr=0.05)
    before, after, result = check_only_seed_and_bn_moved(method, problems.Denoise(crop[1]), num_iters=3)
    assert result.image.shape == crop[1].shape and result.image.dtype == jnp.float32
    # and the same algorithm with the DIP prior trains the weights of the skip network (32 input channels)
    dip = methods.get("dip", prior=priors.dip(channels_down=[8, 8], channels_up=[8, 8], channels_skip=[4, 4]),
                      lr=0.01)
    state = dip.init(KEY, problems.Denoise(crop[1]))
    assert state["z"].shape == (1, 32, 32, 32) and "bn" not in dip.trained(state["params"], state["z"])


def test_deep_decoder_prior_draws_its_seed_at_its_own_size(crop):  # noqa: F811
    p = priors.deep_decoder((8, 8))
    z = p.draw_input(KEY, 3, (32, 32), p.network(3))
    assert z.shape == (1, 8, 8, 8)  # ×4 upsampling (two layers), channels[0] channels
    assert priors.drp_dd((8, 8)).trains == "seed-bn" and p.trains == "weights"


@pytest.mark.slow  # DIP-ℓ0 twice from a cold cache: over 20 s on 2 cores
def test_dip_l0_with_the_drp_prior_is_the_drp_l0_preset(crop):  # noqa: F811
    problem = problems.Denoise(crop[1])
    composed = methods.get("dip-l0", prior=priors.drp("denoising", **SMALL), lr=0.05, num_inner=2, max_loop=3)
    preset = methods.get("drp-l0", net=nets.DRPNet(out_channels=3, **SMALL), num_inner=2, max_loop=3)
    a = jaxreg.solve(problem, composed, key=KEY, num_iters=3)
    b = jaxreg.solve(problem, preset, key=KEY, num_iters=3)
    assert np.asarray(a.image).tobytes() == np.asarray(b.image).tobytes()


@pytest.mark.parametrize("name, kwargs, message", [
    ("dip", dict(prior=priors.drp(), trains="seed-bn"), "set \\['trains'\\] on the prior"),
    ("drp", dict(prior=priors.dip(), net_preset="inpainting"), "net_preset"),
    ("dip", dict(prior="drp"), "prior must be a jaxreg.priors.DeepPrior"),
    ("dip", dict(prior=priors.DeepPrior(architecture="Nope")), "architecture must name"),
    ("dip", dict(prior=priors.DeepPrior(trains="all")), "trains must be one of"),
    ("ngr", dict(prior=priors.deep_decoder()), "architecture must be one of"),
])
def test_misused_priors_fail_before_compiling(crop, name, kwargs, message, monkeypatch):  # noqa: F811
    monkeypatch.setattr(_driver, "compiled", lambda *a: pytest.fail("compiled before the check"))
    clean, noisy = crop
    problem = problems.Inpaint(clean, jnp.ones(clean.shape[:2])) if name == "ngr" else problems.Denoise(noisy)
    with pytest.raises(ValueError, match=message):
        jaxreg.solve(problem, methods.get(name, **kwargs), key=KEY, num_iters=1)


def test_unknown_drp_preset_is_an_error():
    with pytest.raises(ValueError, match="unknown DRP preset"):
        priors.drp("deblurring")


def test_the_plug_and_play_dip_denoiser_fits_any_prior_with_the_same_step(crop):  # noqa: F811
    """``pnp-admm``'s DIP denoiser takes a prior too: with DRP's, its warm-started steps move only the seed and
    the BatchNorm."""
    from jaxreg.regularizers import DIPPrior
    from test_drp import leaves_by_kind
    denoiser = DIPPrior(prior=priors.drp("denoising", **SMALL), lr=0.05, num_inner=2)
    denoiser.check()
    state = denoiser.init(KEY, crop[1].shape)
    image, new = jax.jit(denoiser.denoise)(state, crop[1], 0.1)
    frozen0, bn0 = leaves_by_kind(state["params"])
    frozen1, bn1 = leaves_by_kind(new["params"])
    assert all(a.tobytes() == b.tobytes() for a, b in zip(frozen0, frozen1, strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(bn0, bn1))
    assert not np.array_equal(np.asarray(state["z"]), np.asarray(new["z"]))
    assert image.shape == crop[1].shape and np.all(np.isfinite(np.asarray(image)))
    with pytest.raises(ValueError, match="prior must be a jaxreg.priors.DeepPrior"):
        DIPPrior(prior="drp").check()
