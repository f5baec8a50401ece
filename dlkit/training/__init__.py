"""Training a config into a run folder: the trainer and its session, checkpoints and their state,
resume, phases, what a finished run writes and tracking; distributed training and the add-ons
(distillation, pruning, adversarial training, calibration) in their own folders. (The optimizers,
losses, metrics and callbacks a config names are in `dlkit.components`; `losses`, `metrics` and
`callbacks` here stay as their old paths for plug-ins.)"""
