"""Foundations every stage uses: the data contract (``schema``), run-folder layout (``paths``), profiles, atomic
file writing (``io``), provenance records and argument validation.

Examples
--------
>>> from gvisage_lib.core import get_profile, schema
>>> get_profile("quick").image_size, schema.SPLITS
(64, ('train', 'test', 'validation'))
"""


from gvisage_lib.core import io, schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import PROFILES, Profile, get_profile
from gvisage_lib.core.validation import check_frame

__all__ = ["check_frame", "get_profile", "io", "Profile", "PROFILES", "RunPaths", "schema"]
