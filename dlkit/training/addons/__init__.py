"""Training add-ons, each one file the trainer does not name: distillation, pruning, adversarial
training."""
