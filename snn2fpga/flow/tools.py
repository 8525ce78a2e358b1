"""Find and run the Xilinx tools (vitis_hls, vivado), and say plainly what remains when they are missing.

The tools are looked up on PATH and in the ``bin`` folders of the installations that the Xilinx
``settings64.sh`` scripts export (XILINX_HLS, XILINX_VITIS, XILINX_VIVADO). A run streams the tool's
output line by line into a log file and to a progress callback; a failure raises an error that
names the log file and quotes its last lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from snn2fpga.errors import SNN2FPGAError

# Installation variables whose bin/ folder may hold each tool (checked after PATH, in this order).
TOOL_HOMES: dict[str, tuple[str, ...]] = {
    "vitis_hls": ("XILINX_HLS", "XILINX_VITIS"),
    "vivado": ("XILINX_VIVADO", "XILINX_VITIS"),
    "vitis-run": ("XILINX_VITIS", "XILINX_HLS"),  # runs HLS TCL scripts from 2023.2 on; vitis_hls is deprecated
}
DEFAULT_HOMES = ("XILINX_VITIS", "XILINX_HLS", "XILINX_VIVADO")
TAIL_LINES = 25  # lines of a failing tool's log quoted in the error


class ToolsMissing(SNN2FPGAError):
    """The Xilinx tools are not installed here: everything else was built, these commands remain.

    Attributes:
        missing: the tools that were not found (``vitis_hls``, ``vivado``).
        generated: what the build wrote (paths), listed in the message.
        commands: the shell commands to run on a machine with the tools, in order.
    """

    exit_code = 4

    def __init__(self, missing: Sequence[str], generated: Sequence[Path | str], commands: Sequence[str]) -> None:
        self.missing = list(missing)
        self.generated = [str(p) for p in generated]
        self.commands = list(commands)
        lines = [
            f"{' and '.join(self.missing)} not found (looked on PATH and in $XILINX_HLS/bin, $XILINX_VITIS/bin, "
            f"$XILINX_VIVADO/bin): the build stopped before "
            f"{'the bitstream' if self.missing == ['vivado'] else 'HLS synthesis and the bitstream'}.",
            "Generated:",
            *(f"  {p}" for p in self.generated),
            "To finish, copy the build folder to a machine with Vitis HLS and Vivado (or use docker/, see "
            "docker/README.md) and run, from the folder that holds it:",
            *(f"  {c}" for c in self.commands),
        ]
        super().__init__("\n".join(lines))


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_tool(name: str) -> Path | None:
    """The executable ``name`` on PATH, else in the ``bin`` folder of its Xilinx installation variable.

    Returns None when it is found nowhere.
    """
    found = shutil.which(name)
    if found:
        return Path(found)
    for var in TOOL_HOMES.get(name, DEFAULT_HOMES):
        home = os.environ.get(var)
        if home:
            cand = Path(home) / "bin" / name
            if _is_executable(cand):
                return cand
    return None


def missing_tools(names: Sequence[str] = ("vitis_hls", "vivado")) -> list[str]:
    """The tools among ``names`` that ``find_tool`` cannot find, in the given order."""
    return [n for n in names if find_tool(n) is None]


def hls_command(script: str) -> list[str] | None:
    """The command that runs the Vitis HLS TCL ``script`` (a path relative to the working folder):
    ``vitis_hls -f script`` or, where only the newer front end is installed (2024.2 and later),
    ``vitis-run --mode hls --tcl script``. None when neither is found."""
    tool = find_tool("vitis_hls")
    if tool is not None:
        return [str(tool), "-f", script]
    tool = find_tool("vitis-run")
    if tool is not None:
        return [str(tool), "--mode", "hls", "--tcl", script]
    return None


def run_tool(cmd: Sequence[str | Path], cwd: Path, log_path: Path,
             progress_cb: Callable[[str], None] | None = None) -> int:
    """Run ``cmd`` in ``cwd``, streaming its merged stdout/stderr line by line to ``log_path`` and
    to ``progress_cb`` (each line without its newline).

    Returns:
        the exit code, 0: a non-zero exit code raises SNN2FPGAError naming the log and quoting its
        last lines, as does a command that cannot be started.
    """
    argv = [str(c) for c in cmd]
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with log_path.open("w", encoding="utf-8") as log:
        log.write(f"$ cd {cwd} && {' '.join(argv)}\n")
        log.flush()
        try:
            proc = subprocess.Popen(argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace",
                                    bufsize=1)
        except OSError as exc:
            raise SNN2FPGAError(f"cannot start {argv[0]} in {cwd}: {exc.strerror or exc}") from None
        assert proc.stdout is not None  # stdout=PIPE
        with proc.stdout:
            for raw in proc.stdout:
                line = raw.rstrip("\r\n")
                log.write(line + "\n")
                log.flush()
                tail.append(line)
                if progress_cb is not None:
                    progress_cb(line)
        code = proc.wait()
    if code != 0:
        quoted = "\n".join(f"  | {t}" for t in tail) or "  | (no output)"
        raise SNN2FPGAError(
            f"{Path(argv[0]).name} failed (exit code {code}); full log: {log_path}\nlast lines:\n{quoted}"
        )
    return code
