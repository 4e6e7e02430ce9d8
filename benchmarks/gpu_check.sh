#!/usr/bin/env bash
# GPU check on a CUDA machine without network: install the wheels carried in
# .whl/ (skorch, rapidfuzz, tabulate: the runtime dependencies such a machine
# may lack) into a scratch folder, print the device and versions, and run the
# GPU tests (tests/test_gpu.py).
#
# The wheels, fetched where pip has network (Python 3.12, x86-64 Linux):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 \
#     --platform manylinux_2_17_x86_64 -d .whl \
#     skorch==1.4.0 rapidfuzz==3.14.6 tabulate==0.10.0
#
# Run from the repository root:  bash benchmarks/gpu_check.sh
# The log goes to $OUT/gpu_tests.log (OUT defaults to /tmp/gpu_check); the
# exit status is pytest's (124: the 300 s timeout).
set -uo pipefail

OUT=${OUT:-/tmp/gpu_check}
PY=${PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/site}
mkdir -p "$OUT" "$SITE"

shopt -s nullglob
wheels=("$WHEELS"/*.whl)
echo "== wheels: ${wheels[*]:-none}"
if ((${#wheels[@]})); then
    if ! "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$SITE" "${wheels[@]}"; then
        # no pip: a wheel is a zip archive laid out for site-packages
        echo "pip install failed; unpacking the wheels instead"
        for w in "${wheels[@]}"; do "$PY" -m zipfile -e "$w" "$SITE" || exit 1; done
    fi
fi
export PYTHONPATH="$SITE:$PWD"

echo "== nvidia-smi -L"
nvidia-smi -L || echo "nvidia-smi failed"
"$PY" - <<'EOF' 2>&1 | tee "$OUT/env.txt"
import sys

import torch

print("python", sys.version.split()[0])
print("torch", torch.__version__, "cuda", torch.version.cuda)
print("cuda available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
    print("cudnn", torch.backends.cudnn.version())
    print("cudnn allow_tf32 (default)", torch.backends.cudnn.allow_tf32)
import rapidfuzz
import skorch

import seqlearn

print("skorch", skorch.__version__, "rapidfuzz", rapidfuzz.__version__)
print("seqlearn", seqlearn.__version__, "from", seqlearn.__file__)
EOF

echo "== pytest -m gpu"
OMP_NUM_THREADS=1 timeout 300 "$PY" -m pytest -m gpu \
    tests/test_gpu.py \
    -p no:cacheprovider -o addopts="" -rA -q --durations=15 \
    --junitxml="$OUT/gpu_tests.xml" 2>&1 | tee "$OUT/gpu_tests.log"
rc=$?
echo "== pytest exit status: $rc"
exit "$rc"
