"""Datasets (digits, Fashion-MNIST/MNIST IDX). Spike encoders live in snn2fpga.semantics.encoders."""

from snn2fpga.data.datasets import Dataset, DatasetName, load_dataset
from snn2fpga.data.idx import read_idx

__all__ = ["Dataset", "DatasetName", "load_dataset", "read_idx"]
