"""Named parameter sets (profiles) for the whole pipeline.

* ``smoke``: the test suite's end-to-end run; a small twin, tiny images, one epoch. About 3 minutes on 2 CPU cores.
* ``quick``: the default of ``make reproduce`` on a laptop CPU: the full-size twin with 240x300 photos, 64 px crops,
  6 epochs for stage 1 and the paper's 10 for stage 2 (stage 1, tumour vs control, is learnt sooner; stage 2, though
  it starts from the stage-1 weights, needs its epochs: halved, the default seed's stage-2 validation AUC fell below
  its target, docs/profiles.md), learning rate 1e-3 for the fewer, smaller steps
  (the design is the paper's; only image size and epochs shrink; Inception-v3 upsamples the crops to its minimum
  75 px, see :mod:`gvisage_lib.cnn.models`). Whole pipeline about 10 minutes on 2 cores
  (docs/profiles.md).
* ``paper``: the paper's settings (256x256 crops, 4 photos -> 12 channels, 10 epochs, Adam 1e-4 with cosine decay);
  meant for a GPU.

Examples
--------
>>> get_profile("paper").image_size
256
>>> get_profile("nope")
Traceback (most recent call last):
...
ValueError: profile must be one of ['paper', 'quick', 'smoke'], got 'nope'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from gvisage_lib.core.schema import CANDIDATE_MODELS
from gvisage_lib.core.validation import check_int

#: Where quantities fitted on CNN scores get them (``Profile.score_fit``).
SCORE_FITS: tuple[str, ...] = ("out_of_fold", "test")

#: The master seed of a run when none is given (``gvisage reproduce``, ``synth``, ``simulate``, ``train``, the
#: notebooks' ``setup_notebook``).
DEFAULT_SEED = 20250130
#: The profile of a run when none is given (``gvisage reproduce``, ``train`` outside a run, ``setup_notebook``).
DEFAULT_PROFILE = "quick"


@dataclass(frozen=True)
class Profile:
    """One coherent set of pipeline parameters. Field comments say which step reads them."""

    name: str
    #: twin: multiplier of the paper's group sizes (docs/paper.md).
    twin_scale: float = 1.0
    #: twin: width and height in pixels of the rendered JPEG photos.
    photo_size: tuple[int, int] = (480, 600)
    #: preprocessing and training: side of the square face crop fed to the CNN.
    image_size: int = 256
    #: training: candidate architectures, in the order they are trained.
    models: tuple[str, ...] = CANDIDATE_MODELS
    #: training: epochs (every stage), batch size, learning rate (Adam, cosine decay), weight decay.
    epochs: int = 10
    #: training: epochs of stage 1 and stage 2 when they differ from ``epochs`` (None = ``epochs`` for both).
    stage_epochs: tuple[int, int] | None = None
    batch_size: int = 32
    learning_rate: float = 1e-4
    weight_decay: float = 0.0
    #: training: stage 2 starts from the same candidate's trained stage-1 network instead of random weights.
    #: The paper does not say how its ResNet-50 was initialised; ImageNet weights cannot be downloaded here, and the
    #: stage-1 network (tumour vs control, trained on more subjects) is the face model the cascade already has.
    #: On the quick profile it raised the stage-2 validation AUC from 0.73 and 0.65 to 0.77 and 0.78 (two twins).
    stage2_from_stage1: bool = True
    #: statistics: where the quantities fitted on CNN scores (operating-point thresholds, the hybrid model, its
    #: likelihood-ratio test) get their scores. A network's scores on its own training images are optimistic, so they
    #: are never used: ``"out_of_fold"`` trains ``oof_folds`` extra copies of the selected architecture on folds of
    #: the training split and fits on their out-of-fold scores of the training subjects (the paper profile, where a
    #: GPU affords the extra training); ``"test"`` fits on the internal test split instead, whose metrics for those
    #: quantities are then in-sample and marked so (``in_sample`` in the tables; the quick profile). The smoke profile
    #: uses out-of-fold scores with 2 folds: its test split is too small to fit the hybrid on, and it keeps the paper
    #: profile's path under test.
    score_fit: str = "out_of_fold"
    #: training: folds of the out-of-fold scores (``score_fit == "out_of_fold"``).
    oof_folds: int = 5
    #: training on CUDA: ``"cuda_graph"`` (every profile) replays each full-size batch's whole step as one captured
    #: CUDA graph (:mod:`gvisage_lib.cnn.cuda_graph`); another value is a ``torch.compile`` mode of the training
    #: forward (e.g. ``"reduce-overhead"``); ``""`` = eager steps. Ignored on the CPU. On CUDA the steps' arithmetic
    #: is the same either way (rounding and the GPU's own nondeterminism aside), so it is not part of a model's
    #: configuration hash.
    compile_mode: str = "cuda_graph"
    #: training on the CPU: threads per training. None (every built-in profile) = the trainings run one after another
    #: with all cores, as the recorded results were made. An int k runs the independent trainings (the candidates'
    #: chains, the out-of-fold folds) concurrently in cores // k processes of k threads each: faster (no idle core
    #: while one training synchronises its threads; on a loaded 2-core machine one 2-thread training was 3-6x slower
    #: than a 1-thread one), and the weights no longer depend on the machine's core count, but they differ from
    #: the all-cores weights (oneDNN splits reductions over threads), so it is a switch, not the default.
    cpu_threads: int | None = None
    #: preprocessing: parallel worker processes (None = all cores).
    preprocess_workers: int | None = None
    #: statistics: bootstrap resamples where no closed form exists.
    n_boot: int = 2000
    #: statistics: resamples of the optimism bootstrap, each of which refits the models (``n_boot_refit``);
    #: None = a fifth of ``n_boot``, at least 200. The smoke profile, which checks that every step runs, takes 50.
    refit_boot: int | None = None
    #: simulation (notebook 07): Monte-Carlo replicates of the simulated study (``gvisage_lib.simulation``).
    n_sim_replicates: int = 1000
    #: attribution maps (Fig 5C, notebook 06): subjects per group of the analysed split whose attribution maps are
    #: computed for each stage (integrated gradients cost ``ig_steps`` forward and backward passes per subject).
    n_attribution: int = 128

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for run.json and papermill parameters)."""
        return asdict(self)

    def __post_init__(self) -> None:
        if self.score_fit not in SCORE_FITS:
            raise ValueError(f"score_fit must be one of {SCORE_FITS}, got {self.score_fit!r}")
        check_int("cpu_threads", self.cpu_threads, minimum=1, allow_none=True)
        check_int("oof_folds", self.oof_folds, minimum=2)
        check_int("n_sim_replicates", self.n_sim_replicates, minimum=1)
        check_int("n_attribution", self.n_attribution, minimum=1)
        check_int("refit_boot", self.refit_boot, minimum=10, allow_none=True)

    @property
    def fit_split(self) -> str:
        """The split on which quantities fitted on CNN scores are fitted: "train" (out-of-fold scores) or "test"."""
        return "train" if self.score_fit == "out_of_fold" else "test"

    @property
    def n_boot_refit(self) -> int:
        """Bootstrap resamples where every resample refits a model (the optimism bootstrap): ``refit_boot`` where
        set, else a fifth of ``n_boot``, at least 200 (Harrell's advice for validating a regression).

        Examples
        --------
        >>> get_profile("quick").n_boot_refit, get_profile("paper").n_boot_refit, get_profile("smoke").n_boot_refit
        (200, 400, 50)
        """
        return int(self.refit_boot) if self.refit_boot is not None else max(200, self.n_boot // 5)

    def recipe(self) -> str:
        """The training recipe of the profile in one line (what notebook 03 prints for the run's and the paper's).

        Examples
        --------
        >>> get_profile("paper").recipe()
        'paper profile: 256 px crops, 10/10 epochs (stage 1/2), batch 32, Adam lr 0.0001 with cosine decay'
        """
        return (f"{self.name} profile: {self.image_size} px crops, {self.epochs_for(1)}/{self.epochs_for(2)} epochs "
                f"(stage 1/2), batch {self.batch_size}, Adam lr {self.learning_rate:g} with cosine decay")

    def epochs_for(self, stage: int) -> int:
        """Training epochs of ``stage`` (1 or 2).

        Examples
        --------
        >>> get_profile("quick").epochs_for(2), get_profile("paper").epochs_for(1)
        (10, 10)
        """
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {stage!r}")
        return int(self.epochs if self.stage_epochs is None else self.stage_epochs[stage - 1])


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", twin_scale=0.1, photo_size=(240, 300), image_size=80, epochs=1, batch_size=16, oof_folds=2,
        learning_rate=1e-3, n_boot=200, refit_boot=50, n_sim_replicates=20, n_attribution=4,
    ),
    "quick": Profile(
        name="quick", twin_scale=1.0, photo_size=(240, 300), image_size=64, epochs=10, stage_epochs=(6, 10),
        batch_size=32, learning_rate=1e-3, n_boot=1000, score_fit="test", n_sim_replicates=100,
        n_attribution=24,
    ),
    "paper": Profile(name="paper"),
}


def get_profile(name: str, **overrides: Any) -> Profile:
    """Return the named profile, with any field replaced by ``overrides``.

    Examples
    --------
    >>> get_profile("quick", epochs=1).epochs
    1
    """
    if name not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {name!r}")
    prof = PROFILES[name]
    unknown = set(overrides) - set(prof.to_dict())
    if unknown:
        raise ValueError(f"unknown profile field(s) {sorted(unknown)} in overrides")
    return replace(prof, **overrides) if overrides else prof
