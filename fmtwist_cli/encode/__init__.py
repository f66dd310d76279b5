"""Stage 3: the encoding, through onnxruntime."""
