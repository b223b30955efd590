#!/usr/bin/env bash
# Device check for a session lent a GPU: the training-throughput table and the paper profile end to end.
#
# Run from the repository root on the device machine, e.g. through the device tool:
#   bash device_check.sh            (timeout_s 600; writes everything under $OUT)
# Python packages the device image lacks (papermill, nbconvert, ipykernel, ...) travel as wheels in .whl/
# (see the device notes); they are installed first when present. The face crop mode must be `none` or `box`
# there: that machine's OpenCV has no Haar cascades.
set -uo pipefail
OUT=${OUT:-/tmp/device_check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
if compgen -G ".whl/*.whl" >/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
{ nvidia-smi; $PY -c "import torch; print(torch.__version__, torch.cuda.get_device_name(0))"; } 2>&1 | tee "$OUT/device.txt"

# 1. throughput table (issue columns plus the real train_model), paper sizes, 20 timed steps
timeout 270 $PY benchmarks/train_throughput.py --profiles paper --steps 20 2>&1 | tee "$OUT/train_throughput.txt"

# 2. the paper profile end to end (twin, all notebooks), timed
start=$(date +%s)
timeout 300 $PY -m gvisage_lib reproduce --profile paper --out /tmp/run -p crop_mode none 2>&1 | tee "$OUT/reproduce.txt"
echo "reproduce exit ${PIPESTATUS[0]}, wall $(( $(date +%s) - start )) s" | tee -a "$OUT/reproduce.txt"
cp /tmp/run/run.json "$OUT/" 2>/dev/null
mkdir -p "$OUT/figures" "$OUT/tables"
cp /tmp/run/figures/*.png "$OUT/figures/" 2>/dev/null
cp /tmp/run/tables/*.csv "$OUT/tables/" 2>/dev/null
# at most 8 files come back: bundle the figures
tar -C "$OUT" -czf "$OUT/figures_tables.tgz" figures tables && rm -rf "$OUT/figures" "$OUT/tables"
ls -la "$OUT"
