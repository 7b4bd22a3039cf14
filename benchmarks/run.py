"""One entry point for the benchmark scripts of this folder: list the cases, run them, check their arguments.

    python benchmarks/run.py list [-v]                          # name, script, paper, result files (-v: commands)
    python benchmarks/run.py run NAME [NAME ...]                # the recorded runs (write benchmarks/results)
    python benchmarks/run.py run all --quick [--out DIR]        # smallest settings, into DIR or a new temp folder
    python benchmarks/run.py run --device --out DIR [NAME ...]  # the list for a GPU: paper sizes, dip_step
    python benchmarks/run.py run ... --dry-run                  # print the commands, validate their arguments
    python benchmarks/run.py check [NAME ...]                   # validate every argument list of the cases
    python benchmarks/run.py run NAME --out DIR --extra "--images 1,4"   # a subset of a recorded run, into DIR
    python benchmarks/run.py compare DIR [NAME ...]             # a re-run's figures beside the recorded ones

A *case* is one benchmark script with the argument lists of its recorded runs (the ``command`` of its result JSON
where that was recorded, otherwise rebuilt from the recorded ``args``/settings), the result files they write, a
``quick`` list (tiny crops, 1-5 iterations, one image, one seed: exercises the code path in well under a minute on
2 CPU cores) and, for some, a ``device`` list (paper sizes, meant for one GPU).  Each run is a subprocess
(``sys.executable``, ``PYTHONPATH`` = the repository root) with a hard timeout per case; the command, the wall time
and the exit status are printed, and the case fails unless it exits 0 and writes its result files (or prints
``SKIPPED``: the scripts skip cleanly when ``../shared/data`` is absent).  ``--quick`` and ``--device`` never write
into ``benchmarks/results``.  Arguments are validated by each script's own argparse parser: the script is executed
(``runpy``) with ``ArgumentParser.parse_args`` patched to stop right after parsing, so nothing is computed.

Placeholders in argument lists: ``{out}`` is the output folder, ``{tmp}`` a scratch folder of the case (removed
afterwards).  The scripts that take ``--out``/``--data`` get ``--out DIR``/``--data DIR`` appended; the one that has
no ``--out`` for its tables (``reproduce_alr.py``) is run through ``run.py _exec``, which points
``_common.RESULTS`` at the output folder before executing the script unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import runpy
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SHIPPED_CRITIC = REPO / "jaxreg" / "weights" / "alr_cnn15.msgpack"
TIMEOUTS = {"recorded": 6 * 3600, "quick": 300, "device": 900}  # seconds per case (all its runs together)


# ------------------------------------------------------------------------------------------------ the cases
@dataclass(frozen=True)
class Run:
    """One invocation of a case's script: its arguments and the result stems it writes (``<stem>.json`` + ``.md``
    in the output folder)."""
    args: tuple
    writes: tuple = ()


def R(*args: str, writes=()) -> Run:
    return Run(tuple(args), (writes,) if isinstance(writes, str) else tuple(writes))


@dataclass(frozen=True)
class Case:
    name: str
    script: str
    description: str
    runs: tuple          # the recorded runs, in order
    quick: tuple         # the smoke runs
    device: tuple = ()   # the GPU runs (paper size); empty: not on the device list
    out_option: bool = True    # the script takes --out (else run through `_exec`, see the module docstring)
    data_option: bool = True   # the script takes --data
    needs_data: bool = True    # needs ../shared/data (prints SKIPPED and exits 0 without it)
    prepare: Callable | None = None  # prepare(mode, out, tmp) before the runs
    note: str = ""

    @property
    def results(self) -> list:
        stems = [s for r in self.runs for s in r.writes]
        return [f"{s}.{ext}" for s in dict.fromkeys(stems) for ext in ("json", "md")]

    def runs_for(self, mode: str) -> tuple:
        return {"recorded": self.runs, "quick": self.quick, "device": self.device}[mode]


def _copy_critic(mode, out, tmp):
    """calibrate writes its λ table into the critic it calibrates: quick runs calibrate a scratch copy."""
    if mode == "quick":
        shutil.copy2(SHIPPED_CRITIC, Path(tmp) / "alr_cnn15.msgpack")


DIP = "Ulyanov, Vedaldi & Lempitsky, \"Deep image prior\", CVPR 2018"
ESWMV = "Wang et al., \"Early stopping for deep image prior\", TMLR 2023"
ANDERSON = "T. Anderson, \"Regularization and applications of a network structure deep image prior\", Stanford EE report (c. 2018)"
DIPL0 = "Tran, Bui & Xin, \"Deep image prior with L0 gradient regularizer for image smoothing\", arXiv 2026"
NGR = "Xu et al., \"Neural gradient regularizer\", arXiv 2023"
DRP = "Li, Wang, Zhuang & Sun, \"Deep random projector: accelerated deep image prior\", CVPR 2023"
ALR = "Prost, Houdard, Almansa & Papadakis, \"Learning local regularization for variational image restoration\", SSVM 2021"
L0 = "Xu, Lu, Xu & Jia, \"Image smoothing via L0 gradient minimization\", ACM TOG (SIGGRAPH Asia) 2011"
RF = "Nguyen & Brown, \"Fast and effective L0 gradient minimization by region fusion\", ICCV 2015"
SELECT = "SURE (Stein, Ann. Stat. 1981), GSURE (Eldar, IEEE TSP 2009), J-invariance (Batson & Royer, ICML 2019)"

CASES = [
    # ---------------------------------------------------------------- classical methods against their peers
    Case("tv_denoise", "tv_denoise.py",
         "TV denoising (Rudin, Osher & Fatemi, Physica D 1992; Chambolle, JMIV 2004) against scikit-image and SCICO",
         runs=(R("--images", "astronaut,f16,kate,butterfly", "--scico-python", "/tmp/scico-venv/bin/python",
                 writes="tv_denoise"),
               R("--images", "astronaut", "--scico-python", "/tmp/scico-venv-jax081/bin/python",
                 "--name", "tv_denoise_scico_jax081", writes="tv_denoise_scico_jax081")),
         quick=(R("--size", "32", "--images", "astronaut", "--iters", "5", "--points", "3", "--repeats", "1",
                  "--no-scico", writes="tv_denoise"),),
         device=(R("--size", "256", "--images", "astronaut,f16,kate,butterfly", "--no-scico", writes="tv_denoise"),),
         needs_data=False,
         note="SCICO runs only where the --scico-python interpreters exist (see README); otherwise the JSON says why"),
    Case("wiener", "wiener.py",
         "Wiener-Hunt deconvolution (Orieux, Giovannelli & Rodet, JOSA A 2010, as scikit-image) against scikit-image",
         runs=(R(writes="wiener"),),
         quick=(R("--size", "32", "--images", "astronaut", "--sigmas", "1e-2", "--points", "3", "--repeats", "1",
                  writes="wiener"),),
         device=(R(writes="wiener"),), needs_data=False),
    Case("l0_smoothing", "l0_smoothing.py", f"L0 gradient smoothing ({L0}) on clip art and NKS, against NumPy",
         runs=(R(writes="l0_smoothing"),),
         quick=(R("--clipart", "1", "--nks", "1", "--iters", "3", "--repeats", "1", writes="l0_smoothing"),),
         device=(R("--no-numpy", writes="l0_smoothing"),)),
    Case("region_fusion", "region_fusion.py",
         f"region fusion ({RF}): in-graph parallel against the published sequential sweep",
         runs=(R(writes="region_fusion"),),
         quick=(R("--repeats", "1", writes="region_fusion"),),
         device=(R(writes="region_fusion"),),
         note="no size option: quick still computes the 48 energy cases at 64x64 and times the 400x378 clip art"),
    Case("single_pixel", "single_pixel.py",
         f"single-pixel camera, Table 3 setting of {ANDERSON}: PnP-ADMM (TV, L0, BM3D priors) and TV-ADMM",
         runs=(R(writes="single_pixel"),
               R("--methods", "pnp-bm3d", "--name", "single_pixel_bm3d", writes="single_pixel_bm3d")),
         quick=(R("--size", "32", "--cfs", "4", "--methods", "pnp-tv,pnp-l0,tv,pnp-bm3d", "--lams", "1e-3,1e-2",
                  "--iters", "3", "--bm3d-iters", "1", writes="single_pixel"),),
         device=(R("--size", "256", "--methods", "pnp-tv,pnp-l0,tv", writes="single_pixel"),),
         note="pnp-bm3d needs the bm3d package in this Python (the recorded run used /tmp/bm3d-venv)"),
    Case("single_pixel_dip", "single_pixel.py",
         f"single-pixel camera with the DIP prior in PnP-ADMM ({ANDERSON}, Table 3)",
         runs=(R("--size", "64", "--methods", "pnp-tv,tv,pnp-dip", "--name", "single_pixel_dip",
                 writes="single_pixel_dip"),
               R("--size", "64", "--methods", "pnp-bm3d", "--name", "single_pixel_dip_bm3d",
                 writes="single_pixel_dip_bm3d")),
         quick=(R("--size", "64", "--cfs", "4", "--methods", "pnp-dip", "--dip-iters", "2", "--dip-inner", "2",
                  "--name", "single_pixel_dip", writes="single_pixel_dip"),),
         device=(R("--size", "256", "--cfs", "4", "--methods", "pnp-dip", "--name", "single_pixel_dip",
                   writes="single_pixel_dip"),)),
    Case("sweep_vs_sequential", "sweep_vs_sequential.py",
         "a 12-point grid as a loop of jaxreg.solve against jaxreg.sweep (vmap / map / auto); jaxreg's own, no paper",
         runs=(R("--rows", "tv,l0-smoothing,region-fusion", "--repeats", "3", "--tag", "_classical", "--out", "{tmp}"),
               R("--rows", "dip,drp,dip-l0", "--repeats", "2", "--tag", "_networks", "--out", "{tmp}"),
               R("--rows", "l0-smoothing,region-fusion", "--sizes", "128", "--repeats", "7", "--tag", "_small7",
                 "--out", "{tmp}"),
               R("--combine", "{tmp}/sweep_vs_sequential_classical.json", "{tmp}/sweep_vs_sequential_networks.json",
                 "{tmp}/sweep_vs_sequential_small7.json", writes="sweep_vs_sequential")),
         quick=(R("--rows", "tv,l0-smoothing,region-fusion", "--sizes", "16", "--repeats", "1", "--tag", "_part",
                  "--out", "{tmp}"),
                R("--combine", "{tmp}/sweep_vs_sequential_part.json", writes="sweep_vs_sequential")),
         device=(R("--rows", "tv,dip", "--sizes", "256", "--repeats", "2", writes="sweep_vs_sequential"),),
         data_option=False, needs_data=False,
         note="the recorded file combines three runs (each row re-run in a quiet moment); so does this case"),
    Case("compile_times", "compile_times.py",
         "compile time of every registered method, first call and persistent-cache hit, fresh processes; no paper",
         runs=(R(writes="compile_times"),),
         quick=(R("--methods", "tv", "--size", "16", writes="compile_times"),),
         data_option=False, needs_data=False),
    Case("checkpoint_overhead", "checkpoint_overhead.py",
         f"cost of run checkpoints on the official DIP ({DIP}) at 64x64",
         runs=(R("--size", "64", "--iters", "300", "--repeats", "3", writes="checkpoint_overhead"),),
         quick=(R("--size", "64", "--iters", "4", "--every", "2", "--repeats", "1", writes="checkpoint_overhead"),),
         data_option=False, needs_data=False),
    # ---------------------------------------------------------------- deep image prior
    Case("dip_step", "dip_step.py",
         f"one Adam step of the DIP default network ({DIP}) against a PyTorch replica, single layers, op profile",
         runs=(R("--sizes", "64", "128", "256", "--repeats", "7", "--components", "--profile", writes="dip_step"),),
         quick=(R("--sizes", "64", "--repeats", "1", "--no-direct", "--components", "--profile", writes="dip_step"),),
         device=(R("--sizes", "64", "128", "256", "512", "--repeats", "7", "--components", writes="dip_step"),),
         data_option=False, needs_data=False,
         note="the PyTorch column needs torch (pip install torch==2.13.0); without it the step is timed alone"),
    Case("dip_stopping", "dip_stopping.py",
         f"DIP, DIP-TV and DIP-TV-ADMM stopped without the reference by ES-WMV ({ESWMV})",
         runs=(R(writes="dip_stopping"),),
         quick=(R("--crops", "astronaut", "--iters", "3", writes="dip_stopping"),)),
    Case("dip_anderson_table1", "reproduce_dip_anderson.py",
         f"{ANDERSON}, Table 1: deconvolution (Wiener, ADMM + TV, Wiener + DIP)",
         runs=(R("table1", writes="dip_anderson_table1"),),
         quick=(R("table1", "--size", "64", "--crop", "0", "--iters", "3", "--sigmas", "1e-2", "--tv-iters", "3",
                  writes="dip_anderson_table1"),),
         device=(R("table1", "--crop", "0", writes="dip_anderson_table1"),)),
    Case("dip_anderson_table2", "reproduce_dip_anderson.py",
         f"{ANDERSON}, Table 2: denoising (DIP against NLM and BM3D)",
         runs=(R("table2", writes="dip_anderson_table2"),
               R("table2", "--add-bm3d", writes="dip_anderson_table2")),
         quick=(R("table2", "--size", "64", "--crop", "0", "--iters", "3", "--sigmas", "0.1",
                  writes="dip_anderson_table2"),
                R("table2", "--add-bm3d", "--sigmas", "0.1", writes="dip_anderson_table2")),
         device=(R("table2", "--crop", "0", "--sigmas", "0.05,0.1", writes="dip_anderson_table2"),),
         note="--add-bm3d fills the BM3D column of the table just written (needs the bm3d package)"),
    Case("dip_anderson_fig2", "reproduce_dip_anderson.py",
         f"{ANDERSON}, Fig. 2: dropout / L1 / L2 weight regularisation of the DIP fit",
         runs=(R("fig2", writes="dip_anderson_fig2"),),
         quick=(R("fig2", "--size", "64", "--iters", "3", "--final-window", "2", writes="dip_anderson_fig2"),)),
    # ---------------------------------------------------------------- DIP-L0
    Case("dip_l0_table2", "reproduce_dip_l0.py", f"{DIPL0}, Table 2: JPEG q10 clip art (CPU scale)",
         runs=(R("table2", writes="dip_l0_table2_cpu"),),
         quick=(R("table2", "--images", "1", "--num-iters", "1", "--num-inner", "2", "--dip-iters", "3",
                  "--patience", "2", writes="dip_l0_table2_cpu"),),
         device=(R("table2", "--scale", "paper", "--images", "1", writes="dip_l0_table2_paper"),),
         note="recorded with --resume (restart after a kill); a fresh re-run does not need it"),
    Case("dip_l0_table1", "reproduce_dip_l0.py", f"{DIPL0}, Table 1: NKS structure + texture images (CPU scale)",
         runs=(R("table1", writes="dip_l0_table1_cpu"),),
         quick=(R("table1", "--test", "1", "--val", "1", "--methods", "dip-l0,l0-smoothing,region-fusion",
                  "--num-iters", "1", "--num-inner", "2", writes="dip_l0_table1_cpu"),)),
    Case("dip_l0_grid", "reproduce_dip_l0.py", f"{DIPL0}: the 12-point lambda x beta grid as one jaxreg.sweep",
         runs=(R("grid", writes="dip_l0_grid_cpu"),),
         quick=(R("grid", "--num-iters", "1", "--num-inner", "2", writes="dip_l0_grid_cpu"),)),
    Case("dip_l0_timing", "reproduce_dip_l0.py", f"{DIPL0}, Table 3: full-size time per ADMM iteration",
         runs=(R("timing", writes="dip_l0_table3"),),
         quick=(R("timing", "--num-iters", "1", "--num-inner", "1", writes="dip_l0_table3"),),
         device=(R("timing", writes="dip_l0_table3"),),
         note="no size option: quick still compiles DIP-L0 at the two full clip-art sizes"),
    # ---------------------------------------------------------------- NGR
    Case("ngr_inpaint", "reproduce_ngr.py", f"{NGR}, Table I: RGB inpainting against DIP (CPU scale)",
         runs=(R("inpaint", "--lam-t", "5", writes="ngr_inpaint_cpu"),
               R("inpaint", "--mask", "pixel", writes="ngr_inpaint_pixel_cpu"),
               R("inpaint", "--images", "baby,f16", "--rates", "0.3", "--crop", "--mask", "pixel",
                 writes="ngr_inpaint_crop_pixel_cpu"),
               R("inpaint", "--validation", "--rates", "0.3", "--lam-t", "5,10,20",
                 writes="ngr_inpaint_validation_cpu")),
         quick=(R("inpaint", "--size", "64", "--iters", "3", "--rates", "0.3", "--images", "baby", "--lam-t", "5",
                  writes="ngr_inpaint_cpu"),),
         device=(R("inpaint", "--size", "256", "--rates", "0.3", "--images", "baby", writes="ngr_inpaint_cpu"),),
         note="inpaint and the validation run were recorded with --resume (restart after a kill)"),
    Case("ngr_video", "reproduce_ngr.py", f"{NGR}: video inpainting and denoising (CPU scale)",
         runs=(R("video", writes="ngr_video_cpu"),),
         quick=(R("video", "--size", "64", "--frames", "2", "--iters", "3", writes="ngr_video_cpu"),),
         note="no option to run one task: quick compiles NGR and DIP for both tasks (~2 min)"),
    Case("ngr_hsi", "reproduce_ngr.py", f"{NGR}: hyperspectral inpainting and mixed-noise denoising (CPU scale)",
         runs=(R("hsi", writes="ngr_hsi_cpu"),),
         quick=(R("hsi", "--size", "64", "--bands", "4", "--iters", "3", writes="ngr_hsi_cpu"),),
         note="no option to run one task: quick compiles NGR and DIP for both tasks (~2 min)"),
    Case("ngr_deblur", "reproduce_ngr.py", f"{NGR}: deblurring against TV deconvolution (CPU scale)",
         runs=(R("deblur", writes="ngr_deblur_cpu"),),
         quick=(R("deblur", "--size", "64", "--iters", "3", writes="ngr_deblur_cpu"),)),
    # ---------------------------------------------------------------- DRP
    Case("drp_denoise", "reproduce_drp.py", f"{DRP}: time to DIP's quality, denoising (CPU scale)",
         runs=(R("denoise", writes="drp_denoise_cpu"),),
         quick=(R("denoise", "--size", "64", "--dip-iters", "3", "--drp-iters", "3", "--time-iters", "2",
                  writes="drp_denoise_cpu"),),
         note="recorded with --resume (restart after a kill)"),
    Case("drp_inpaint", "reproduce_drp.py", f"{DRP}: Barbara inpainting at equal wall time (CPU scale)",
         runs=(R("inpaint", writes="drp_inpaint_cpu"),),
         quick=(R("inpaint", "--size", "64", "--dip-iters", "3", "--drp-iters", "3", "--time-iters", "2",
                  writes="drp_inpaint_cpu"),),
         device=(R("inpaint", "--size", "512", writes="drp_inpaint_cpu"),)),
    Case("drp_l0", "reproduce_drp.py", f"{DRP} as the prior of DIP-L0 ({DIPL0}) at equal wall time",
         runs=(R("l0", writes="drp_l0_cpu"),),
         quick=(R("l0", "--images", "1", "--iters", "1", "--time-iters", "1", writes="drp_l0_cpu"),),
         note="no option for K (25 Adam steps per ADMM iteration)"),
    Case("drp_ngr", "reproduce_drp.py", f"{DRP} as the prior of NGR ({NGR}) at equal wall time",
         runs=(R("ngr", writes="drp_ngr_cpu"),),
         quick=(R("ngr", "--size", "64", "--ngr-iters", "3", "--drp-iters", "3", "--time-iters", "2",
                  writes="drp_ngr_cpu"),)),
    # ---------------------------------------------------------------- ALR
    Case("alr_train", "reproduce_alr.py", f"{ALR}: training the shipped critic (WGAN-GP)",
         runs=(R("train", "--steps", "20000", writes="alr_train_cpu"),),
         quick=(R("train", "--steps", "3", "--out", "{tmp}/alr_cnn15.msgpack", writes="alr_train_cpu"),),
         out_option=False, data_option=False, needs_data=False,
         note="the recorded run rewrites jaxreg/weights/alr_cnn15.msgpack; quick writes a scratch critic"),
    Case("alr_calibrate", "reproduce_alr.py", f"{ALR}: lambda per noise level on validation crops",
         runs=(R("calibrate", writes="alr_calibrate_cpu"),),
         quick=(R("calibrate", "--size", "16", "--critic", "{tmp}/alr_cnn15.msgpack", writes="alr_calibrate_cpu"),),
         out_option=False, prepare=_copy_critic,
         note="the recorded run stores its table in jaxreg/weights/alr_cnn15.msgpack; quick calibrates a copy; "
              "no option for the lambda grid or the 50 iterations"),
    Case("alr_denoise", "reproduce_alr.py", f"{ALR}, Table 2: denoising against tuned TV and BM3D",
         runs=(R("denoise", writes="alr_denoise_cpu"),),
         quick=(R("denoise", "--size", "32", "--tv-iters", "3", writes="alr_denoise_cpu"),),
         device=(R("denoise", "--size", "256", writes="alr_denoise_cpu"),),
         out_option=False, note="no option for the images or the 50 ALR iterations"),
    Case("alr_generalise", "reproduce_alr.py", f"{ALR}, Table 1: noise-level generalisation of the critic",
         runs=(R("generalise", writes="alr_generalise_cpu"),),
         quick=(R("generalise", "--steps", "3", "--size", "32", writes="alr_generalise_cpu"),),
         out_option=False),
    Case("alr_deblur", "reproduce_alr.py", f"{ALR}: deblurring with the 12 kernels against Wiener and TV",
         runs=(R("deblur", writes="alr_deblur_cpu"),),
         quick=(R("deblur", "--size", "32", "--tv-iters", "3", writes="alr_deblur_cpu"),),
         out_option=False, note="no option for the kernels or the 50 ALR iterations"),
    # ---------------------------------------------------------------- no-reference selection
    Case("selection_denoise", "selection.py",
         f"choosing lambda without the clean image, denoising: {SELECT}",
         runs=(R("denoise", "--skip-cost", writes="selection_denoise"),
               R("denoise", "--methods", "alr", "--tag", "_alr", "--skip-cost", writes="selection_denoise_alr"),
               R("denoise", "--methods", "wiener", "--tag", "_wiener", writes="selection_denoise_wiener")),
         quick=(R("denoise", "--images", "f16", "--size", "32", "--sigmas", "0.1",
                  "--methods", "tv,l0-smoothing,region-fusion,alr,wiener", "--skip-cost", writes="selection_denoise"),)),
    Case("selection_deblur", "selection.py", f"choosing lambda without the clean image, deblurring: {SELECT}",
         runs=(R("deblur", "--skip-cost", writes="selection_deblur"),),
         quick=(R("deblur", "--images", "f16", "--size", "32", "--skip-cost", writes="selection_deblur"),)),
    Case("selection_inpaint", "selection.py", "choosing lambda of TV inpainting by hold-out (no clean image)",
         runs=(R("inpaint", writes="selection_inpaint"),),
         quick=(R("inpaint", "--images", "f16", "--size", "32", writes="selection_inpaint"),)),
    Case("selection_denoise_net", "selection.py",
         f"the TV weight and stopping time of DRP ({DRP}) and DIP-TV by SURE",
         runs=(R("denoise-net", "--methods", "drp", "--size", "64", writes="selection_denoise-net"),
               *(R("denoise-net", "--methods", "dip-tv", "--size", "64", "--images", img, "--sigmas", "0.1",
                   "--net-grid", "0.001,0.01,0.1", "--iters", "600", "--tag", tag,
                   writes=f"selection_denoise-net{tag}")
                 for img, tag in (("f16", "_diptv"), ("barbara", "_diptv_barbara"), ("kate", "_diptv_kate"),
                                  ("peppers", "_diptv_peppers"), ("baby", "_diptv_baby"), ("castle", "_diptv_castle")))),
         quick=(R("denoise-net", "--methods", "drp,dip-tv", "--size", "64", "--images", "f16", "--sigmas", "0.1",
                  "--net-grid", "0.01,0.1", "--iters", "3", writes="selection_denoise-net"),)),
    Case("selection_inpaint_net", "selection.py", f"DIP's stopping time for inpainting by hold-out ({DIP})",
         runs=(R("inpaint-net", "--crops", "astronaut,chelsea", "--stop-methods", "dip", "--iters", "600",
                 "--patience", "200", writes="selection_inpaint-net"),),
         quick=(R("inpaint-net", "--crops", "astronaut", "--stop-methods", "dip", "--iters", "3", "--patience", "2",
                  writes="selection_inpaint-net"),),
         note="two rates per crop, each also timing 100 plain and 100 paired iterations (no option)"),
    Case("selection_clipart_net", "selection.py", f"DIP's stopping time on JPEG clip art by J-invariance ({DIP})",
         runs=(R("clipart-net", "--cliparts", "1,2", "--stop-methods", "dip", "--iters", "1500", "--patience", "300",
                 writes="selection_clipart-net"),),
         quick=(R("clipart-net", "--cliparts", "1", "--stop-methods", "dip", "--iters", "3", "--patience", "2",
                  writes="selection_clipart-net"),),
         note="also times 100 plain and 100 paired iterations (no option)"),
    Case("selection_stopping", "selection.py", f"stopping DIP, DIP-TV, DRP and NGR by SURE against ES-WMV ({ESWMV})",
         runs=(R("stopping", "--crops", "chelsea,astronaut,f16", "--stop-methods", "dip", "--iters", "800",
                 writes="selection_stopping"),
               R("stopping", "--crops", "astronaut", "--stop-methods", "dip-tv", "--iters", "800", "--tag", "_diptv",
                 writes="selection_stopping_diptv"),
               R("stopping", "--crops", "f16,chelsea", "--stop-methods", "dip-tv", "--iters", "800", "--tag",
                 "_diptv_more", writes="selection_stopping_diptv_more"),
               R("stopping", "--stop-methods", "drp", "--iters", "800", "--tag", "_drp",
                 writes="selection_stopping_drp"),
               R("stopping", "--stop-methods", "ngr-denoise", "--crops", "astronaut", "--iters", "2000",
                 "--patience", "300", "--tag", "_ngr", writes="selection_stopping_ngr")),
         quick=(R("stopping", "--crops", "astronaut", "--stop-methods", "dip", "--iters", "3", "--patience", "2",
                  writes="selection_stopping"),),
         note="every stopping run also times 100 plain and 100 paired iterations (no option), so quick takes ~1.5 min"),
    Case("selection_cost", "selection.py", "run-time cost of each no-reference criterion (interleaved rounds)",
         runs=(R("cost", "--repeats", "2", "--net-iters", "40", writes="selection_cost"),),
         quick=(R("cost", "--images", "f16", "--size", "16", "--repeats", "1", "--cost-nets", "",
                  "--net-size", "64", "--net-iters", "2", writes="selection_cost"),)),
    Case("selection_summary", "selection.py", "one table from every selection_*.json in the output folder (no run)",
         runs=(R("summary", writes="selection_summary"),),
         quick=(R("summary", writes="selection_summary"),),
         note="summarises the selection_*.json of the output folder, so it runs after the other selection cases"),
    # ---------------------------------------------------------------- super-resolution
    Case("super_resolution", "super_resolution.py",
         f"super-resolution x4: bicubic, TV, DIP and DIP-TV ({DIP}), DRP ({DRP})",
         runs=(R("--dip-tv-grid", "3e-4,3e-3", writes="super_resolution"),),
         quick=(R("--images", "baby", "--validation", "kate", "--seeds", "1", "--dip-iters", "3", "--drp-iters", "3",
                  "--dip-tv-grid", "1e-2", writes="super_resolution"),),
         device=(R("--images", "baby", "--side", "256", "--size", "256", "--seeds", "1",
                   "--dip-tv-grid", "3e-4,3e-3", writes="super_resolution"),),
         note="no option for TV's 300 iterations; quick keeps the smallest crop the script allows (48)"),
]
BY_NAME = {c.name: c for c in CASES}
# the GPU list, in the order it runs (dip_step first: the headline step timings)
DEVICE_ORDER = ["dip_step", "tv_denoise", "wiener", "single_pixel", "dip_anderson_table1", "dip_l0_table2",
                "dip_l0_timing", "ngr_inpaint", "drp_inpaint", "alr_denoise", "super_resolution", "l0_smoothing",
                "region_fusion", "sweep_vs_sequential", "single_pixel_dip", "dip_anderson_table2"]


# ------------------------------------------------------------------------------------------------ commands
def _subst(arg: str, out: str, tmp: str) -> str:
    return arg.replace("{out}", out).replace("{tmp}", tmp)


def command(case: Case, run: Run, out: Path | None, tmp: str, data: str | None = None, extra: tuple = ()) -> list:
    """The argv of one run: ``sys.executable`` and the script, its arguments with the placeholders filled in and
    ``extra`` appended (argparse keeps the last value of a repeated option), then ``--out`` / ``--data`` where
    given; through ``run.py _exec`` where the script has no ``--out`` for its tables."""
    out_s = str(out if out is not None else RESULTS)
    args = [_subst(a, out_s, tmp) for a in run.args] + list(extra)
    if data and case.data_option and "--data" not in args:
        args += ["--data", data]
    script = f"benchmarks/{case.script}"
    if out is None:
        return [sys.executable, script, *args]
    if case.out_option:
        return [sys.executable, script, *args] + ([] if "--out" in run.args else ["--out", out_s])
    return [sys.executable, "benchmarks/run.py", "_exec", out_s, script, *args]


def script_argv(cmd: list) -> tuple:
    """(script, arguments) of a command made by :func:`command`, for validation."""
    if cmd[1] == "benchmarks/run.py":
        return cmd[4], cmd[5:]
    return cmd[1], cmd[2:]


def quote(cmd: list) -> str:
    words = ["python" if i == 0 else w for i, w in enumerate(cmd)]
    return "PYTHONPATH=. " + " ".join(shlex.quote(w) for w in words)


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# ------------------------------------------------------------------------------------------------ validation
class _Parsed(Exception):
    pass


def _parse_in_process(items: list) -> list:
    """For each ``(script, argv)``: execute the script as ``__main__`` with ``ArgumentParser.parse_args`` patched
    to raise right after a successful parse, so only the script's own parser runs.  Returns
    ``{"ok": bool, "error": str}`` per item."""
    original = argparse.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        raise _Parsed(original(self, args, namespace))

    argparse.ArgumentParser.parse_args = parse_args
    sys.path.insert(0, str(HERE))
    out = []
    try:
        for script, argv in items:
            err = io.StringIO()
            saved = sys.argv
            sys.argv = [script, *argv]
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    runpy.run_path(str(REPO / script), run_name="__main__")
                out.append({"ok": False, "error": "the script returned without parsing arguments"})
            except _Parsed:
                out.append({"ok": True, "error": ""})
            except SystemExit as e:
                lines = [line for line in err.getvalue().splitlines() if line.strip()]
                out.append({"ok": False, "error": lines[-1] if lines else f"exit status {e.code}"})
            except Exception as e:  # noqa: BLE001 - report, do not crash the whole check
                out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
            finally:
                sys.argv = saved
    finally:
        argparse.ArgumentParser.parse_args = original
    return out


def validate(commands: list) -> list:
    """Validate many commands in one fresh interpreter (``run.py _parse``); one result dict per command."""
    items = [list(script_argv(c)) for c in commands]
    missing = [i for i, (s, _) in enumerate(items) if not (REPO / s).is_file()]
    proc = subprocess.run([sys.executable, str(HERE / "run.py"), "_parse"], input=json.dumps(items), text=True,
                          capture_output=True, cwd=REPO, env=child_env())
    if proc.returncode != 0:
        raise RuntimeError(f"argument validation failed to run:\n{proc.stderr[-3000:]}")
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for i in missing:
        results[i] = {"ok": False, "error": f"no such script: {items[i][0]}"}
    return results


# ------------------------------------------------------------------------------------------------ running
def _pump(stream, sink: deque, flags: dict):
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        sink.append(line.rstrip("\n"))
        if line.startswith("SKIPPED") and "image" not in line.split(":")[0]:
            flags["skipped"] = True


def _kill(proc):
    """End the process group this harness started for one run (the script and any children it spawned)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def run_one(cmd: list, deadline: float) -> dict:
    t0 = time.perf_counter()
    tail, flags = deque(maxlen=15), {"skipped": False}
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, start_new_session=True)
    pump = threading.Thread(target=_pump, args=(proc.stdout, tail, flags), daemon=True)
    pump.start()
    timed_out = False
    try:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(proc)
    except KeyboardInterrupt:
        _kill(proc)
        raise
    pump.join(timeout=10)
    return {"command": quote(cmd), "rc": proc.returncode, "timed_out": timed_out, "skipped": flags["skipped"],
            "wall_s": round(time.perf_counter() - t0, 1), "tail": list(tail)}


def run_case(case: Case, mode: str, out: Path | None, timeout: float, data: str | None, extra: tuple = ()) -> dict:
    out_dir = out if out is not None else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f"jaxreg-bench-{case.name}-")
    start_wall, t0 = time.time(), time.perf_counter()
    deadline = time.monotonic() + timeout
    rec = {"case": case.name, "mode": mode, "runs": [], "status": "ok", "missing": []}
    try:
        if case.prepare:
            case.prepare(mode, out_dir, tmp)
        for i, run in enumerate(case.runs_for(mode)):
            cmd = command(case, run, out, tmp, data, extra)
            print(f"\n=== {case.name} [{i + 1}/{len(case.runs_for(mode))}]: {quote(cmd)}", flush=True)
            r = run_one(cmd, deadline)
            rec["runs"].append(r)
            print(f"--- {case.name} [{i + 1}]: exit status {r['rc']}{' (TIMED OUT)' if r['timed_out'] else ''}, "
                  f"{r['wall_s']:.1f} s", flush=True)
            if r["timed_out"]:
                rec["status"] = f"timed out after {timeout:g} s"
                break
            if r["rc"] != 0:
                rec["status"] = f"failed (exit status {r['rc']})"
                break
            if r["skipped"]:
                rec["status"] = "skipped (data absent)"
                break
            for stem in run.writes:
                p = out_dir / f"{stem}.json"
                if not p.is_file() or p.stat().st_mtime < start_wall - 1:
                    rec["missing"].append(p.name)
        if rec["status"] == "ok" and rec["missing"]:
            rec["status"] = f"failed (not written: {', '.join(rec['missing'])})"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rec["wall_s"] = round(time.perf_counter() - t0, 1)
    return rec


# ------------------------------------------------------------------------------------------------ commands of run.py
def select(names: list, device: bool) -> list:
    if device and not names:
        return [BY_NAME[n] for n in DEVICE_ORDER]
    if names == ["all"] or "all" in names:
        pool = [BY_NAME[n] for n in DEVICE_ORDER] if device else CASES
        return pool
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"run.py: unknown case(s) {', '.join(unknown)}; `python benchmarks/run.py list` shows them")
    chosen = [BY_NAME[n] for n in names]
    if device:
        lacking = [c.name for c in chosen if not c.device]
        if lacking:
            raise SystemExit(f"run.py: not on the device list: {', '.join(lacking)}")
    return chosen


def cmd_list(args) -> int:
    for c in CASES:
        print(f"{c.name}  [{c.script}]{'  (device list)' if c.device else ''}")
        print(f"    {c.description}")
        print(f"    writes: {', '.join(c.results)}")
        if c.note:
            print(f"    note: {c.note}")
        if args.verbose:
            for mode in ("recorded", "quick", "device"):
                for run in c.runs_for(mode):
                    print(f"    {mode:8s} {c.script} {' '.join(shlex.quote(a) for a in run.args)}")
        print()
    return 0


def _all_commands(cases: list, modes: tuple, out: Path | None, data: str | None, extra: tuple = ()) -> list:
    rows = []
    for c in cases:
        for mode in modes:
            for run in c.runs_for(mode):
                rows.append((c, mode, command(c, run, out, "{tmp}", data, extra)))
    return rows


def _report_validation(rows: list) -> int:
    results = validate([cmd for _, _, cmd in rows])
    bad = 0
    for (c, mode, cmd), res in zip(rows, results):
        flag = "ok " if res["ok"] else "BAD"
        print(f"{flag} {c.name:22s} {mode:8s} {quote(cmd)}" + ("" if res["ok"] else f"\n      {res['error']}"))
        bad += not res["ok"]
    print(f"\n{len(rows) - bad} of {len(rows)} argument lists accepted by their scripts' parsers")
    return 1 if bad else 0


def cmd_check(args) -> int:
    cases = select(args.names, False) if args.names else CASES
    return _report_validation(_all_commands(cases, ("recorded", "quick", "device"), Path("/tmp/jaxreg-bench-check"),
                                            None))


def cmd_run(args) -> int:
    if args.quick and args.device:
        raise SystemExit("run.py: --quick and --device exclude each other")
    if not args.names and not args.device:
        raise SystemExit("run.py: name the cases to run (or `all`); `python benchmarks/run.py list` shows them")
    mode = "quick" if args.quick else "device" if args.device else "recorded"
    cases = select(args.names, args.device)
    out = Path(args.out).resolve() if args.out else None
    extra = tuple(shlex.split(args.extra or ""))
    if extra and (out is None or out == RESULTS.resolve()):
        raise SystemExit("run.py: --extra changes a recorded run; write it elsewhere with --out DIR")
    if mode in ("quick", "device"):
        if out is not None and out == RESULTS.resolve():
            raise SystemExit(f"run.py: --{mode} never writes into benchmarks/results; pass another --out")
        if out is None:
            if mode == "device":
                raise SystemExit("run.py: --device needs --out DIR (a folder for the GPU results)")
            out = (Path(tempfile.gettempdir()) / "jaxreg-bench-quick-XXXXXXXX" if args.dry_run
                   else Path(tempfile.mkdtemp(prefix="jaxreg-bench-quick-")))
    timeout = args.timeout if args.timeout else TIMEOUTS[mode]
    if args.dry_run:
        print(f"mode {mode}; output folder {out or RESULTS}; timeout {timeout:g} s per case\n")
        return _report_validation([(c, mode, cmd) for c, _, cmd in _all_commands(cases, (mode,), out, args.data,
                                                                                   extra)])
    print(f"run.py: {len(cases)} case(s), mode {mode}, output folder {out or RESULTS}, timeout {timeout:g} s per case",
          flush=True)
    records, t0, interrupted = [], time.perf_counter(), False
    for c in cases:
        try:
            records.append(run_case(c, mode, out, timeout, args.data, extra))
        except KeyboardInterrupt:  # the running script was ended (run_one); report what finished
            interrupted = True
            records.append({"case": c.name, "mode": mode, "runs": [], "status": "interrupted", "missing": [],
                            "wall_s": None})
            print(f"\n=== {c.name}: interrupted; not run: {', '.join(x.name for x in cases[len(records):]) or '-'}",
                  flush=True)
            break
        print(f"=== {c.name}: {records[-1]['status']} in {records[-1]['wall_s']:.1f} s", flush=True)
    total = time.perf_counter() - t0
    failed = [r for r in records if not r["status"].startswith(("ok", "skipped"))]
    print("\nsummary:")
    width = max(len(r["case"]) for r in records)
    for r in records:
        print(f"  {r['case']:<{width}}  {r['wall_s'] or 0:8.1f} s  {r['status']}")
        if not r["status"].startswith(("ok", "skipped")) and r["runs"]:
            for line in r["runs"][-1]["tail"][-5:]:
                print(f"  {'':<{width}}      | {line}")
    print(f"  {'total':<{width}}  {total:8.1f} s  {len(failed)} failed of {len(records)}"
          + (f" (interrupted; {len(cases) - len(records)} not run)" if interrupted else ""))
    if out is not None:
        summary = {"mode": mode, "extra": list(extra), "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "python": sys.executable, "timeout_s": timeout, "total_s": round(total, 1), "cases": records}
        (out / "run_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {out / 'run_summary.json'}")
    return 130 if interrupted else 1 if failed else 0


# ------------------------------------------------------------------------------------------------ compare
IDENTITY_KEYS = ("image", "crop", "name", "size", "sigma", "noise", "lam", "method", "case", "kernel")
QUALITY = ("psnr", "ssim", "energy")  # last path component contains one of these: a quality figure
SKIP = ("trajectory", "history", "step_s_all", "runs_s", "environment", "env", "args", "timing_environment")


def flatten(obj, path: tuple = ()) -> dict:
    """Numeric leaves of a result JSON by path; a list of records is keyed by their identity fields (``image``,
    ``size``, …) so that a re-run of a subset lines up with the recorded run; other lists by index."""
    out = {}
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return out
    if isinstance(obj, (int, float)):
        return {path: float(obj)}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in SKIP:
                out.update(flatten(v, path + (str(k),)))
        return out
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            ident = i
            if isinstance(v, dict):
                found = [f"{k}={v[k]}" for k in IDENTITY_KEYS if isinstance(v.get(k), (str, int, float))]
                ident = ",".join(found) if found else i
            out.update(flatten(v, path + (f"[{ident}]",)))
    return out


def kind_of(path: tuple) -> str:
    last = path[-1].lower() if not path[-1].startswith("[") else (path[-2].lower() if len(path) > 1 else "")
    if any(q in last for q in QUALITY):
        return "quality"
    if "ratio" in last or "speed" in last:
        return "ratio"
    if last.endswith("_s") or "time" in last:
        return "time"
    return "other"


def compare_files(recorded: dict, new: dict) -> dict:
    """Figures in both files: for quality figures (PSNR, SSIM, energies) the largest absolute difference; for
    times, and apart for ratios and speed-ups, the median and range of new / recorded."""
    a, b = flatten(recorded), flatten(new)
    common = sorted(set(a) & set(b))
    rows = {"quality": [], "time": [], "ratio": [], "other": []}
    for p in common:
        rows[kind_of(p)].append((p, a[p], b[p]))
    out = {"common": len(common), "only_recorded": len(set(a) - set(b)), "only_new": len(set(b) - set(a))}
    q = rows["quality"]
    if q:
        diffs = [abs(y - x) for _, x, y in q]
        worst = max(range(len(q)), key=lambda i: diffs[i])
        out["quality"] = {"n": len(q), "max_abs_diff": diffs[worst], "worst": "/".join(q[worst][0]),
                          "recorded": q[worst][1], "new": q[worst][2],
                          "identical": sum(d == 0.0 for d in diffs)}
    for kind in ("time", "ratio"):
        t = [(p, x, y) for p, x, y in rows[kind] if x > 0 and y > 0]
        if t:
            r = sorted(y / x for _, x, y in t)
            out[kind] = {"n": len(t), "median_ratio": r[len(r) // 2], "min_ratio": r[0], "max_ratio": r[-1]}
    return out


def cmd_compare(args) -> int:
    folder = Path(args.folder)
    cases = select(args.names, False) if args.names else CASES
    report, missing = {}, []
    for c in cases:
        for stem in dict.fromkeys(stem for run in c.runs for stem in run.writes):
            new, old = folder / f"{stem}.json", RESULTS / f"{stem}.json"
            if not new.is_file():
                missing.append(stem) if args.names else None
                continue
            if not old.is_file():
                print(f"{stem}: no recorded file to compare with")
                continue
            res = compare_files(json.loads(old.read_text()), json.loads(new.read_text()))
            report[stem] = res
            print(f"{stem}: {res['common']} figures in both (recorded only {res['only_recorded']}, "
                  f"new only {res['only_new']})")
            if "quality" in res:
                q = res["quality"]
                print(f"    quality ({q['n']}: PSNR / SSIM / energies): {q['identical']} identical, largest |diff| "
                      f"{q['max_abs_diff']:.4g} at {q['worst']} ({q['recorded']:.6g} -> {q['new']:.6g})")
            for kind, label in (("time", "times (s)"), ("ratio", "ratios and speed-ups")):
                if kind in res:
                    t = res[kind]
                    print(f"    {label} ({t['n']}): new / recorded median {t['median_ratio']:.3f} "
                          f"(range {t['min_ratio']:.3f}-{t['max_ratio']:.3f})")
            if args.show:
                import re
                a, b = flatten(json.loads(old.read_text())), flatten(json.loads(new.read_text()))
                for p in sorted(set(a) & set(b)):
                    if re.search(args.show, "/".join(p)):
                        print(f"      {'/'.join(p)}: {a[p]:.6g} -> {b[p]:.6g}")
    if missing:
        print(f"not in {folder}: {', '.join(missing)}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 1 if missing or not report else 0


def _exec(argv: list) -> None:
    """``run.py _exec OUT SCRIPT ARGS...``: run SCRIPT as ``__main__`` with ``_common.RESULTS`` = OUT (for a script
    that writes its tables with no ``--out``); ``sys.argv`` is the script's own, so its JSON records its command."""
    out, script, *args = argv
    sys.path.insert(0, str(HERE))
    import _common
    _common.RESULTS = Path(out)
    sys.argv = [script, *args]
    path = script if Path(script).is_file() else str(REPO / script)  # relative (cwd = the repository): as recorded
    runpy.run_path(path, run_name="__main__")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_exec"]:
        _exec(argv[1:])
        return 0
    if argv[:1] == ["_parse"]:
        results = _parse_in_process(json.load(sys.stdin))
        sys.stdout.write("\n" + json.dumps(results) + "\n")
        return 0
    ap = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See benchmarks/README.md.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="the cases: name, script, paper, result files")
    p.add_argument("-v", "--verbose", action="store_true", help="also the recorded, quick and device arguments")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("run", help="run cases (NAME ... or all)")
    p.add_argument("names", nargs="*", metavar="NAME", help="case names, or all")
    p.add_argument("--quick", action="store_true", help="smallest settings, into --out or a new temporary folder")
    p.add_argument("--device", action="store_true",
                   help="the GPU list (paper sizes; needs --out); without NAMEs every case on it")
    p.add_argument("--out", help="output folder (default: benchmarks/results for recorded runs)")
    p.add_argument("--data", help="shared data folder passed to the scripts that take --data")
    p.add_argument("--timeout", type=float, default=None,
                   help=f"seconds per case (default {TIMEOUTS['recorded']} recorded, {TIMEOUTS['quick']} quick, "
                        f"{TIMEOUTS['device']} device)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the commands and validate their arguments with each script's own parser; run nothing")
    p.add_argument("--extra", help="arguments appended to every run of the named cases, e.g. \"--images 1,4\" "
                                   "(needs --out: a changed run never overwrites a recorded one)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("compare", help="a re-run's result files beside the recorded ones (same case names)")
    p.add_argument("folder", help="the --out folder of the re-run")
    p.add_argument("names", nargs="*", metavar="NAME", help="case names (default: every result file found)")
    p.add_argument("--show", metavar="REGEX", help="also print each common figure whose path matches")
    p.add_argument("--json", metavar="FILE", help="write the comparison as JSON")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("check", help="validate the recorded, quick and device arguments of the cases")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(func=cmd_check)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
