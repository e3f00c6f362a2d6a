"""From dataset samples to tensors: batches and samplers, network inputs, the stand-in dataset."""
