"""The vocabularies a config names and their entries: losses, metrics, optimizers, learning-rate
schedules, callbacks, search distributions, samplers and pruners, adversarial attacks. Each module
registers on its root in `dlkit.core.registries`."""
