"""qonnx Transformations from the exported graph to the folded, specialized hardware graph."""
