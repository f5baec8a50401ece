#!/usr/bin/env bash
# Fill .whl/ (at the repository's root, git-ignored through .git/info/exclude) with the wheels that
# benchmarks/gpu.sh installs offline on the GPU machine (Python 3.12, x86-64; its image has PyTorch,
# JAX, numpy, pandas, scikit-learn, matplotlib, rich, typer, PyYAML, h5py, ml-dtypes, absl-py,
# tensorboard, but no Keras, pydantic or Optuna: /work/.library/device/KINDS.md's package list).
# dlkit's dependencies the image lacks, and theirs, at the versions dlkit is tested with. No
# TensorFlow: its 600 MB wheel would not travel (the working tree that does is 64 MiB at most).
#
#   benchmarks/gpu_wheels.sh          # about 12 MiB; then carry ".whl" with the device call
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qxF '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
rm -rf .whl && mkdir .whl
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$p")
done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl \
    keras==3.15.1 namex==0.1.0 optree==0.20.0 \
    pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing-extensions==4.16.0 \
    optuna==5.1.0 alembic==1.20.1 sqlalchemy==2.1.9 mako==1.4.3 colorlog==6.12.0
ls .whl
du -sh .whl
