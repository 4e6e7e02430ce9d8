"""Fixtures shared by test modules."""

import tracemalloc

import pytest
import torch


@pytest.fixture
def ieee_float32():
    """Run cuDNN in IEEE float32 (no TF32) so CPU and GPU fits can be compared.

    cuDNN RNNs use TF32 tensor cores by default on Ampere and later GPUs
    (about 3 significant digits per product): a few epochs of training then
    drift from the CPU by more than 1e-3 (seen on an H200: 1.5e-3).
    """
    old = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32 = old


@pytest.fixture
def peak_memory():
    """A function that runs ``fn()`` and returns its peak of traced bytes."""

    def measure(fn):
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    return measure
