"""Training: the registries of optimizers, losses, metrics and callbacks, and the trainer."""
