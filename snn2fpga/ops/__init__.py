"""QONNX custom ops of the ``snn2fpga.ops`` domain (abstract "what" ops; numpy execution = reference).

qonnx resolves a node's domain by importing the module of the same name; the ops are also added to
the registry explicitly here so that `getCustomOp` finds them after `import snn2fpga.ops`.
"""

from qonnx.custom_op.registry import add_op_to_domain

from snn2fpga.ops.encoder_op import IQPlaneEncoder, SpikeEncoder
from snn2fpga.ops.hls import HLS_DOMAIN, HLS_OPS
from snn2fpga.ops.hw import HW_DOMAIN, HW_OPS
from snn2fpga.ops.hw_maps import HW_MAP_OPS
from snn2fpga.ops.neuron_ops import DCLL, LIF, LeakyIntegrator
from snn2fpga.ops.rtl import RTL_DOMAIN, RTL_OPS
from snn2fpga.ops.rtl_maps import RTL_MAP_OPS

DOMAIN = "snn2fpga.ops"

__all__ = [
    "DCLL", "DOMAIN", "HLS_DOMAIN", "HW_DOMAIN", "RTL_DOMAIN", "IQPlaneEncoder", "LIF", "LeakyIntegrator",
    "SpikeEncoder",
]

for _op in (SpikeEncoder, IQPlaneEncoder, LIF, LeakyIntegrator, DCLL):
    add_op_to_domain(DOMAIN, _op)
for _op in (*HW_OPS, *HW_MAP_OPS):
    add_op_to_domain(HW_DOMAIN, _op)
for _op in HLS_OPS:
    add_op_to_domain(HLS_DOMAIN, _op)
for _op in (*RTL_OPS, *RTL_MAP_OPS):
    add_op_to_domain(RTL_DOMAIN, _op)
