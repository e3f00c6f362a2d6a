"""Learning on the datasets: ``models/`` (backbones, the CL/MCL/SCL heads, the radio-visual model), ``data/``
(batches, network inputs, the stand-in dataset), ``training/`` (self-supervised training, the localiser),
``experiments/`` (self-labels, evaluation, analyses, search, `maxray reproduce`); ``config.py`` and ``runtime.py``
serve them all."""
