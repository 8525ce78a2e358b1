"""The one exception type of the board runtime."""

from __future__ import annotations


class DeployError(Exception):
    """A problem with a deploy folder, its inputs or the device, with what to do about it in the message.

    The runtime imports nothing from snn2fpga, so this is not an ``SNN2FPGAError``; snn2fpga converts it
    where it calls into the runtime (see ``snn2fpga.codegen.csim``).
    """
