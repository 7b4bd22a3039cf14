"""Linear operators with adjoints (every one passes :func:`check_adjoint`)."""

from .base import AdjointCheck, FunctionOperator, Identity, LinearOperator, check_adjoint, linear_adjoint
from .cg import conjugate_gradient
from .compressive import RandomBinary, SubsampledHadamard, fwht, hadamard_rows, walsh_sequency
from .convolution import SameConvolution, same_convolve
from .dct import dct2, idct2, neumann_symbol, solve_diagonal_dct
from .differences import FiniteDifference, Gradient, difference, difference_adjoint, gradient, gradient_adjoint
from .fourier import CircularConvolution, difference_symbol, kernel_otf, solve_diagonal_fft
from .mask import Mask
from .normal import NormalOperator, register_normal_solver, solve_normal
from .resample import Decimation, polyphase_solve, resampling_kernel

__all__ = [
    "AdjointCheck", "CircularConvolution", "Decimation", "FiniteDifference", "FunctionOperator", "Gradient", "Identity",
    "LinearOperator", "Mask", "NormalOperator", "RandomBinary", "SameConvolution", "SubsampledHadamard", "check_adjoint",
    "conjugate_gradient", "dct2", "difference", "difference_adjoint", "difference_symbol", "fwht", "hadamard_rows", "idct2",
    "kernel_otf", "linear_adjoint", "neumann_symbol", "polyphase_solve", "register_normal_solver", "resampling_kernel", "same_convolve", "solve_diagonal_dct", "solve_diagonal_fft", "solve_normal", "walsh_sequency",
]
