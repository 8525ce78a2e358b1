"""Issue 11, class 5 (checkpoints): a damaged checkpoint is named corrupt, a malicious one refused (never
torch's hint to load it with weights_only=False), and values that would only fail later are refused now."""

from __future__ import annotations

import os
import zipfile

import pytest
import torch

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import SNNClassifier, lif_mlp_spec


@pytest.fixture
def good(tmp_path):
    torch.manual_seed(0)
    model = SNNClassifier(lif_mlp_spec(64, [8], [str(i) for i in range(10)], [8, 8]))
    return save_checkpoint(model, tmp_path / "model.pt")


def test_checkpoint_archive_is_named_after_the_file(good):
    # written through a temporary file, yet the archive inside keeps the file's stem (reproducible bytes)
    assert zipfile.ZipFile(good).namelist()[0].startswith("model/")


def test_crc_failure_is_corrupt(good, tmp_path):
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = next(i for i in z.infolist() if "/data/" in i.filename and i.file_size > 8)
    start = info.header_offset  # the local header's own name/extra lengths (torch pads the extra field)
    name_len, extra_len = (int.from_bytes(data[start + k : start + k + 2], "little") for k in (26, 28))
    data[start + 30 + name_len + extra_len + 3] ^= 0xFF
    bad = tmp_path / "crc.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(SNN2FPGAError, match=r"corrupt checkpoint: the checksum \(CRC\)"):
        load_checkpoint(bad)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_malicious_zip_checkpoint_is_refused_by_name(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "snn2fpga-checkpoint", "x": _Evil()}, path)
    with pytest.raises(SNN2FPGAError) as ei:
        load_checkpoint(path)
    text = str(ei.value)
    assert text.startswith(f"refused to open {path}: it contains pickled Python objects")
    assert "system" in text and "weights_only" not in text and "corrupt" not in text


def _edited(good, tmp_path, edit) -> str:
    payload = torch.load(good, weights_only=True)
    edit(payload)
    path = tmp_path / "edited.pt"
    torch.save(payload, path)
    with pytest.raises(SNN2FPGAError) as ei:
        load_checkpoint(path)
    return str(ei.value)


def _layer(i, key, value):
    def edit(p):
        p["model"]["layers"][i][key] = value
    return edit


@pytest.mark.parametrize("edit,needle", [
    (lambda p: p["model"]["encoder"].update(timesteps=0), "encoder timesteps must be an integer >= 1, got 0"),
    (lambda p: p["model"]["encoder"].update(timesteps=2.5), "timesteps must be an integer"),
    (_layer(1, "state_bits", 16.5), "state_bits must be an integer, got 16.5"),
    (_layer(1, "state_bits", "16"), "state_bits must be an integer, got '16'"),
    (_layer(0, "out_features", -3), "out_features must be >= 1, got -3"),
    (_layer(1, "threshold", float("nan")), "threshold is nan"),
    (lambda p: p["state_dict"][next(k for k in p["state_dict"] if k.endswith("weight"))].__setitem__((0, 0),
                                                                                                   float("nan")),
     "holds NaN or infinite values"),
    (lambda p: p["model"].update(layers=[]), "must be a non-empty list"),
])
def test_bad_values_are_refused_at_load(good, tmp_path, edit, needle):
    assert needle in _edited(good, tmp_path, edit)
