#!/usr/bin/env bash
# The GPU check of the backends issue, in one short slot (under 8 minutes on an H100): the MNIST CNN
# and a small ResNet on generated images, JAX and PyTorch, float32 and mixed_bfloat16, dlkit against
# the plain Keras script in the same run (benchmarks/gpu.py says what is measured). Offline: what
# the GPU image lacks (Keras, pydantic, ...) is installed from .whl/ at the repository's root, which
# benchmarks/gpu_wheels.sh fills on a machine with pip's registry. Results go to $OUT when set.
#
#   benchmarks/gpu.sh                 # on the GPU machine
#   benchmarks/gpu.sh --cpu           # tiny, on the CPU (a smoke check of the script itself)
#   benchmarks/gpu.sh --backends jax --precisions float32    # any of gpu.py's options
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
site=${DLKIT_GPU_SITE:-/tmp/dlkit-gpu-site}

# Install the wheels only where the packages are missing (never over a working environment's own).
# Found, not imported: `import keras` would need a backend (its default, TensorFlow, is not there).
if ! "$python" -c "import importlib.util as u, sys; sys.exit(not all(map(u.find_spec, ['keras', 'pydantic', 'typer', 'yaml'])))" 2>/dev/null; then
    if ! compgen -G "$repo/.whl/*.whl" >/dev/null; then
        echo "gpu.sh: Keras or pydantic is missing and $repo/.whl has no wheels: run benchmarks/gpu_wheels.sh where pip works, and carry .whl" >&2
        exit 2
    fi
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$site" "$repo"/.whl/*.whl
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
# gpu.py puts the checkout first on its children's path: dlkit runs from here, not from an install.
exec timeout --signal=INT 470 "$python" "$repo/benchmarks/gpu.py" "$@"
