"""Stage 2: the network (architectures, Keras backends, training, ONNX export)."""
