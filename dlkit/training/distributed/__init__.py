"""`train.distribute`: strategies on one machine's devices, dlkit's own loop on several workers, and
starting the workers (`--local-workers`, `--cluster`)."""
