"""benchmarks: manualbp's training step against JAX and PyTorch, ratios measured in one run."""
