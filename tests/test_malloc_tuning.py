"""The glibc allocator settings that training applies (snn2fpga.malloc_tuning)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_keep_freed_memory_is_accepted_by_glibc():
    # in a fresh interpreter, so this test process's allocator stays as it was
    code = "from snn2fpga.malloc_tuning import keep_freed_memory; print(keep_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_no_glibc_is_harmless(monkeypatch):
    from snn2fpga import malloc_tuning

    monkeypatch.setattr(malloc_tuning.sys, "platform", "darwin")
    assert malloc_tuning.keep_freed_memory() is False
