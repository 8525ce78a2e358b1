"""The runtime imports and runs with numpy only: torch, brevitas, qonnx, onnx, snn2fpga (and pynq) blocked."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.board.conftest import PACKAGE_DIR

BLOCKED = ("torch", "brevitas", "qonnx", "onnx", "onnxruntime", "snn2fpga", "pynq", "jinja2", "sklearn")

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = {blocked!r}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is blocked: the board runtime must not import it")
            return None

    sys.meta_path.insert(0, Block())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]

    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the import blocker does not work")

    import snn2fpga_board
    from snn2fpga_board import SNNOverlay

    assert snn2fpga_board.__file__.startswith({where!r}), snn2fpga_board.__file__
    with SNNOverlay(sys.argv[1]) as snn:
        check = snn.check_golden()
        assert check["mismatches"] == 0, check
        snn.classify(snn.golden().sample(0))
        snn.run(snn.golden().batch(3))
        print(snn.device_kind, check["samples"], snn.power()["reason"])
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    """
)


@pytest.mark.parametrize("design,copy", [("rate", False), ("rate", True), ("iq", True)],
                         ids=["installed", "deploy-copy", "iq-deploy-copy"])
def test_runtime_imports_without_the_toolchain(request, design, copy):
    built = request.getfixturevalue(f"{design}_deploy")
    deploy = built.deploy
    # the installed package, or the copy in the deploy folder found from the folder itself (as on the board)
    where = str(deploy / "snn2fpga_board") if copy else str(PACKAGE_DIR)
    code = SCRIPT.format(blocked=BLOCKED, where=where)
    # `python -c` puts the working directory first on sys.path, ahead of the editable install's finder
    res = subprocess.run([sys.executable, "-c", code, str(deploy)], cwd=deploy if copy else deploy.parent,
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[:2] == ["emulated", str(len(built.x))]
