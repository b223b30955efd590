#!/usr/bin/env bash
# Device check for a session lent a GPU: the CUDA-graph step against eager steps, the training-throughput table,
# and the paper profile end to end. Everything it measures is written under $OUT.
#
# Run from the repository root on the device machine, through the device tool (carry [".whl"], timeout_s 560):
#   bash benchmarks/device_check.sh                      (everything; about 8 minutes on one H100)
#   STEPS=reproduce REPRODUCE_S=320 bash benchmarks/device_check.sh   (only the paper profile end to end)
# .whl/ holds the wheels of the packages the device image lacks (papermill, nbconvert, ipykernel, pingouin, captum,
# dask, distributed, ...), installed here first. The face crop mode is `none` there: that machine's OpenCV 5 has no
# Haar cascades. The torch.compile column of the throughput table is skipped (it compiles for minutes per model).
set -uo pipefail
STEPS=${STEPS:-"check bench reproduce compare"}
REPRODUCE_S=${REPRODUCE_S:-300}
T0=$(date +%s)
OUT=${OUT:-/tmp/device_check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
if compgen -G ".whl/*.whl" >/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    >/dev/null 2>&1 || echo "installing the carried wheels failed" >&2
  export PYTHONPATH="$PYTHONPATH:/tmp/site" PATH="/tmp/site/bin:$PATH" JUPYTER_PATH=/tmp/site/share/jupyter
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc
  $PY -c "import torch, torchvision, cv2; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'torchvision', torchvision.__version__, 'opencv', cv2.__version__, torch.cuda.get_device_name(0))"
} 2>&1 | tee "$OUT/device.txt"

# 1. the CUDA-graph step learns as the eager one does (ResNet-50, 128 px, 4 epochs, both ways)
[[ " $STEPS " == *" check "* ]] && timeout 90 $PY benchmarks/cuda_graph_check.py --model resnet50 --size 128 --per-group 96 --epochs 4 2>&1 \
  | tee "$OUT/cuda_graph_check.txt"

# 2. throughput table at the paper's sizes (256 px, batch 32), 50 timed steps, torch.compile column skipped
[[ " $STEPS " == *" bench "* ]] && timeout 150 $PY benchmarks/train_throughput.py --profiles paper --steps 50 --skip amp+cl+compile 2>&1 \
  | tee "$OUT/train_throughput.txt"

# 3. the paper profile end to end (twin, all notebooks), timed
start=$(date +%s)
[[ " $STEPS " == *" reproduce "* ]] && timeout "$REPRODUCE_S" $PY -m gvisage_lib reproduce --profile paper --out /tmp/run -p crop_mode none 2>&1 | tee "$OUT/reproduce.txt"
echo "reproduce exit ${PIPESTATUS[0]}, wall $(( $(date +%s) - start )) s" | tee -a "$OUT/reproduce.txt"
cp /tmp/run/run.json "$OUT/" 2>/dev/null
mkdir -p "$OUT/run/figures" "$OUT/run/tables"
cp /tmp/run/tables/*.csv "$OUT/run/tables/" 2>/dev/null
cp /tmp/run/figures/*.png "$OUT/run/figures/" 2>/dev/null
cp /tmp/run/index.html "$OUT/run/" 2>/dev/null
tar -C "$OUT" -czf "$OUT/run.tgz" run && rm -rf "$OUT/run"

# 4. if time is left: notebook 03 again with the trainings one after another in the notebook's process (train_workers 1)
#    instead of concurrent worker processes, to compare 03's time (the rest of the run is reused or rerun from 03)
left=$(( 520 - ($(date +%s) - T0) ))
if [[ " $STEPS " == *" compare "* ]] && [ "$left" -gt 150 ]; then
  timeout "$left" $PY -m gvisage_lib reproduce --out /tmp/run --from 03 -p retrain true -p train_workers 1 2>&1 \
    | tee "$OUT/reproduce_workers1.txt"
  cp /tmp/run/run.json "$OUT/run_train_workers1.json" 2>/dev/null
else
  echo "no time left for the train_workers=1 comparison ($left s)" | tee "$OUT/reproduce_workers1.txt"
fi
ls -la "$OUT"
