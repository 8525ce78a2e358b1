"""Datasets (digits, Fashion-MNIST/MNIST IDX). Spike encoders live in snn2fpga.semantics.encoders."""

from typing import Any

from snn2fpga.data.datasets import Dataset, DatasetName, load_dataset
from snn2fpga.data.idx import read_idx

__all__ = ["Dataset", "DatasetName", "load_any_dataset", "load_dataset", "read_idx"]


def load_any_dataset(name: str, data_dir: str | None, selection: dict[str, Any] | None = None) -> Dataset:
    """An image dataset by name, or a radio dataset with its selection."""
    from snn2fpga.data.radioml import RADIO_DATASETS, load_radio_dataset

    if name in RADIO_DATASETS:
        return load_radio_dataset(name, data_dir, **(selection or {}))
    return load_dataset(name, data_dir)

