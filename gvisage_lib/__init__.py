"""GVisage: a reproducible re-implementation of GVisageNet (Li et al., J Med Internet Res 2025;27:e58760).

Screening children and adolescents for intracranial germ cell tumours (iGCTs) from frontal face photos, with the
statistics around the CNNs. The numbered notebooks in ``notebooks/`` call this library; see ``DESIGN.md`` in the
shared folder and the README for the data flow.
"""

__version__ = "0.1.0"
