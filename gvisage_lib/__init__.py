"""GVisage: a reproducible re-implementation of GVisageNet (Li et al., J Med Internet Res 2025;27:e58760).

Screening children and adolescents for intracranial germ cell tumours (iGCTs) from frontal face photos, with the
statistics around the CNNs. The numbered notebooks in ``notebooks/`` call this library, one package per pipeline
stage (``cohort``, ``faces``, ``cnn``, ``roc``, ``clinical``, ``endocrine``) on top of ``core``, ``paper``,
``stats`` and ``twin``; ``run`` drives them. ``docs/`` has the design notes.
"""

__version__ = "0.1.0"
