"""What is done with trained models: self-labels, evaluation, the paper's analyses, searches, `maxray reproduce`."""
