"""With quantization off, our LIF equals snnTorch's Leaky(reset_delay=False) on the same inputs.

The correspondence (README, "snnTorch"): V <- beta V + I; spike = V >= threshold; reset subtract/zero,
applied in the same step. snnTorch fires on V > threshold (equal on continuous inputs) and, with
reset by subtraction, checks the *next* spike on V minus one more threshold when the membrane is still
above threshold after a reset. That only happens when one step's input exceeds the threshold, so the
equality test keeps |I| < threshold, and a second test pins down the documented difference.
"""

import pytest
import torch

from snn2fpga.nn import LIF, QuantLinear

snntorch = pytest.importorskip("snntorch")


def _run_both(cur: torch.Tensor, beta: float, threshold: float, reset: str) -> tuple[torch.Tensor, torch.Tensor]:
    ours = LIF(beta=beta, threshold=threshold, reset=reset)
    theirs = snntorch.Leaky(beta=beta, threshold=threshold, reset_mechanism=reset, reset_delay=False)
    with torch.no_grad():
        spk_ours = ours(cur)
        mem = theirs.init_leaky()
        spk_theirs = []
        for t in range(cur.shape[0]):
            spk, mem = theirs(cur[t], mem)
            spk_theirs.append(spk)
    return spk_ours, torch.stack(spk_theirs)


def _currents(seed: int, peak: float) -> torch.Tensor:
    torch.manual_seed(seed)
    fc = QuantLinear(20, 16, weight_bits=None)
    x = (torch.rand(40, 8, 20) < 0.4).float()
    with torch.no_grad():
        cur = fc(x)
        return cur * (peak / cur.abs().max())


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("beta,threshold", [(0.9, 1.0), (0.5, 0.7), (0.95, 0.3)])
def test_float_lif_equals_snntorch_leaky(reset, beta, threshold):
    ours, theirs = _run_both(_currents(1, 0.99 * threshold), beta, threshold, reset)
    assert ours.sum() > 0  # the comparison is not vacuous
    assert torch.equal(ours, theirs)


def test_documented_difference_when_one_input_exceeds_the_threshold():
    ours, theirs = _run_both(_currents(1, 3.0), 0.9, 0.3, "subtract")
    assert not torch.equal(ours, theirs)
    assert torch.equal(*_run_both(_currents(1, 3.0), 0.9, 0.3, "zero"))
