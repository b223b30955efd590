#!/bin/bash
# Train one candidate for one stage on 2 nodes x 4 GPUs with DistributedDataParallel (NCCL).
# The run folder (faces preprocessed by notebook 02) must be on a file system every node sees.
# Submit:  sbatch examples/slurm_train.sh /shared/runs/paper resnet50 1
#SBATCH --job-name=gvisage-train
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1            # one torchrun launcher per node; it starts one process per GPU
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
#SBATCH --time=01:00:00
set -euo pipefail
RUN=${1:?run folder}; MODEL=${2:-resnet50}; STAGE=${3:-1}
export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_PORT=${MASTER_PORT:-29500}
srun torchrun --nnodes "$SLURM_NNODES" --nproc_per_node 4 --node_rank "$SLURM_NODEID" \
     --rdzv_backend c10d --rdzv_endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv_id "$SLURM_JOB_ID" \
     -m gvisage_lib train --out "$RUN" --model "$MODEL" --stage "$STAGE"
