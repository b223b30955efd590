"""Procedural frontal face photos of the twin, carrying the planted endocrine phenotype.

Every subject gets four JPEG photos drawn with numpy and OpenCV only (no downloaded assets, no face model). A photo is
a head-and-shoulders portrait on a background: skin-shaded face ellipse with ears, hair behind and over the forehead,
eye sockets darker than the cheeks, a lighter nose bridge, brows, eyes, nostrils and mouth, so that OpenCV's Haar
frontal-face cascade finds it like a real face.

Between subjects: sex, age (:func:`facial_maturity`: child-like proportions fade mostly before ten years), skin tone
(an East Asian range, the paper's cohort being Chinese), hair colour and style, face shape, eye, nose and mouth
geometry. Between the four photos of a subject: head position, scale and in-plane rotation, lighting direction,
strength and colour, expression (smile, brow raise, eye opening), sensor noise and JPEG quality.

Capture protocol: the paper photographed patients "using a standardized protocol" (Method S1) with a >10-megapixel
camera. The twin's photos therefore have a plain, light clinic backdrop (off-white, grey, pale blue, pale green or
beige, brightness between -12 % and +4 %), overall exposure within ±4 %, a linear light gradient of strength up to
0.2 (the gain changes by at most ±10 % along each image axis) and white balance within ±3 % per channel. (Render
version 1 drew saturated random backdrops and light within ±14 %: a CNN trained from scratch on ~550 stacks then
learnt the backdrop and the light before the face.)

The phenotype (:mod:`gvisage_lib.twin.phenotype`) changes large-scale shape, colour and texture, so that it survives
the 64x64 crops of the quick profile: child-like proportions, a fuller face, swollen eyelids with bags, acne and
redness, oily shine, stubble, pallor, dark circles and drooping lids. Group membership reaches the drawing only
through these intensities, except under ``capture_shift`` (below).

Determinism: subject ``i`` (row position in the manifest) draws everything from
``numpy.random.default_rng(SeedSequence([seed, i]))``, so the same seed gives byte-identical JPEGs whatever the
number of workers.

Examples
--------
>>> import numpy as np
>>> from gvisage_lib.twin.render import draw_photo, SubjectLook
>>> rng = np.random.default_rng(0)
>>> look = SubjectLook.sample(rng, sex="F", age_years=10.0, phenotype={})
>>> img = draw_photo(look, rng, photo_size=(320, 400))
>>> img.shape, img.dtype
((400, 320, 3), dtype('uint8'))
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from gvisage_lib.core import io
from gvisage_lib.core.progress import Ticker
from gvisage_lib.core.schema import PHOTO_COLUMNS
from gvisage_lib.core.workers import worker_pool

from .phenotype import PHENOTYPE_COLUMNS, PhenotypeEffects, phenotype_from_truth

GENERATOR_NAME = "gvisage.twin.render"
#: Bump when the drawing changes: twin.json records it, and the face cache keys on the photo bytes anyway.
RENDER_VERSION = "2.0.0"

# Skin palette from light to dark (RGB); a subject's tone interpolates it.
_SKIN_PALETTE = np.array([[240, 212, 188], [229, 195, 166], [215, 177, 144], [197, 156, 120]], dtype=np.float32)
_HAIR_PALETTE = np.array([[20, 16, 14], [38, 28, 22], [60, 42, 30], [95, 65, 40]], dtype=np.float32)
_HAIR_WEIGHTS = np.array([0.55, 0.3, 0.11, 0.04])
_BACKDROPS = np.array([[232, 230, 224], [205, 207, 210], [196, 212, 228], [204, 220, 206], [226, 214, 192]],
                      dtype=np.float32)


def facial_maturity(age_years: float) -> float:
    """Craniofacial maturity in [0, 1] drawn for a chronological age (0 = infant proportions, 1 = adult).

    ``1 - 0.75 * exp(-(age - 2) / 4.5)``, clipped: proportions change fastest in early childhood (large cranium, big
    eyes, small chin and nose) and only slowly through adolescence. At the study's ages (about 8-20 years) age
    therefore changes the face less than the planted endocrine phenotype does, as in the paper, where age did not
    differ between iGCTs and other tumours (its printed P values) although its printed means do.

    Examples
    --------
    >>> round(facial_maturity(2.0), 2), round(facial_maturity(10.5), 2), round(facial_maturity(17.0), 2)
    (0.25, 0.89, 0.97)
    """
    return float(np.clip(1.0 - 0.75 * math.exp(-(float(age_years) - 2.0) / 4.5), 0.0, 1.0))


@dataclass
class SubjectLook:
    """Everything about a subject's appearance that stays the same across its four photos.

    Geometry is in units of the face half-width (the renderer scales it per photo). Built by :meth:`sample`.
    """

    sex: str
    maturity: float  # 0 = small child proportions, 1 = adult
    skin: np.ndarray  # RGB float32
    lips: np.ndarray
    hair: np.ndarray
    hair_long: bool
    fringe: float  # how far the fringe comes down (0..1)
    aspect: float  # face half-height / half-width
    jaw: float  # lower-face width factor
    eye_dx: float
    eye_y: float
    eye_w: float
    eye_h: float
    iris: np.ndarray
    brow_thick: float
    nose_len: float
    mouth_w: float
    shirt: np.ndarray
    phen: dict[str, float] = field(default_factory=dict)

    @classmethod
    def sample(cls, rng: np.random.Generator, *, sex: str, age_years: float,
               phenotype: dict[str, float]) -> SubjectLook:
        """Draw a subject's look from its sex, age and phenotype intensities (missing phenotypes count as 0).

        Examples
        --------
        >>> look = SubjectLook.sample(np.random.default_rng(1), sex="M", age_years=30, phenotype={})
        >>> round(look.maturity, 2)
        1.0
        """
        if sex not in ("F", "M"):
            raise ValueError(f"sex must be 'F' or 'M', got {sex!r}")
        phen = {c: float(phenotype.get(c, 0.0)) for c in PHENOTYPE_COLUMNS}
        age = float(age_years)
        if not math.isfinite(age) or age < 0:
            raise ValueError(f"age_years must be a finite number >= 0, got {age_years!r}")
        maturity = facial_maturity(age)
        # hCG-driven precocious puberty advances maturation (skeletal maturity, the paper's Discussion)...
        maturity = maturity + 0.8 * phen["phen_mature"] * (1.0 - maturity)
        # ...growth retardation and delayed maturation keep child proportions.
        maturity = float(np.clip(maturity * (1.0 - 0.75 * phen["phen_childlike"]), 0.0, 1.0))
        tone = rng.beta(2.0, 2.0) * (len(_SKIN_PALETTE) - 1)
        lo = int(min(math.floor(tone), len(_SKIN_PALETTE) - 2))
        skin = _SKIN_PALETTE[lo] * (1 - (tone - lo)) + _SKIN_PALETTE[lo + 1] * (tone - lo)
        skin = skin * rng.uniform(0.97, 1.03, size=3).astype(np.float32)
        # Pallor: desaturate towards grey and lighten a little; puffiness: sallow, yellowish skin (hypothyroid
        # carotenaemia).
        grey = skin.mean()
        skin = skin + phen["phen_pallor"] * (0.85 * (grey - skin) + 18.0)
        skin = skin + phen["phen_puffiness"] * np.array([16.0, 9.0, -24.0], dtype=np.float32)
        lips = skin * np.array([0.82, 0.52, 0.52], dtype=np.float32) * rng.uniform(0.9, 1.05)
        lips = lips + phen["phen_pallor"] * 0.85 * (skin * 0.95 - lips)
        hair = _HAIR_PALETTE[rng.choice(len(_HAIR_PALETTE), p=_HAIR_WEIGHTS)] * rng.uniform(0.85, 1.15)
        hair_long = bool(rng.random() < (0.75 if sex == "F" else 0.1))
        base_aspect = 1.18 + 0.22 * maturity + (0.04 if sex == "M" else 0.0)
        aspect = base_aspect * rng.uniform(0.94, 1.06) - 0.18 * phen["phen_puffiness"]
        jaw = (0.78 + 0.1 * maturity + (0.07 if sex == "M" else 0.0)) * rng.uniform(0.93, 1.07)
        jaw += 0.3 * phen["phen_puffiness"]
        return cls(
            sex=sex,
            maturity=maturity,
            skin=np.clip(skin, 0, 255).astype(np.float32),
            lips=np.clip(lips, 0, 255).astype(np.float32),
            hair=np.clip(hair, 0, 255).astype(np.float32),
            hair_long=hair_long,
            fringe=float(rng.uniform(0.0, 1.0) * (0.8 if sex == "F" else 0.5)),
            aspect=float(aspect),
            jaw=float(jaw),
            eye_dx=float(rng.uniform(0.38, 0.46)),
            eye_y=float(-0.02 + rng.uniform(-0.03, 0.03) + 0.1 * (1 - maturity)),
            eye_w=float(rng.uniform(0.17, 0.21) * (1.0 + 0.22 * (1 - maturity))),
            eye_h=float(rng.uniform(0.075, 0.095) * (1.0 + 0.2 * (1 - maturity))),
            iris=np.array(rng.choice([[50, 35, 25], [80, 55, 35], [40, 30, 30], [70, 80, 90]]), dtype=np.float32),
            brow_thick=float(rng.uniform(0.045, 0.07) * (1.15 if sex == "M" else 1.0) * (0.7 + 0.3 * maturity)),
            nose_len=float(rng.uniform(0.36, 0.46) * (0.75 + 0.25 * maturity)),
            mouth_w=float(rng.uniform(0.26, 0.34) * (0.85 + 0.15 * maturity)),
            shirt=rng.uniform(30, 220, size=3).astype(np.float32),
            phen=phen,
        )


def _pt(cx: float, cy: float, a: float, u: float, v: float) -> tuple[int, int]:
    """Face units (u right, v down, in face half-widths) to integer pixel coordinates (shift-4 fixed point)."""
    return int(round((cx + u * a) * 16)), int(round((cy + v * a) * 16))


def _axes(a: float, du: float, dv: float) -> tuple[int, int]:
    return max(1, int(round(du * a * 16))), max(1, int(round(dv * a * 16)))


def _ellipse(img: np.ndarray, cx: float, cy: float, a: float, u: float, v: float, du: float, dv: float,
             color: Any, angle: float = 0.0, start: float = 0.0, end: float = 360.0, thickness: int = -1) -> None:
    cv2.ellipse(img, _pt(cx, cy, a, u, v), _axes(a, du, dv), angle, start, end, color, thickness,
                lineType=cv2.LINE_AA, shift=4)


#: Keys of the planted-region masks (:func:`planted_regions`): the visible face, then one region per phenotype.
REGION_KEYS: tuple[str, ...] = ("face", *PHENOTYPE_COLUMNS)

#: Phenotypes drawn over the whole face (its shape or its skin colour): their region is the visible face itself.
FACE_WIDE_PHENOTYPES: tuple[str, ...] = ("phen_childlike", "phen_puffiness", "phen_mature", "phen_pallor")

#: Where each phenotype is drawn (the region of :func:`planted_regions`), in words.
REGION_DESCRIPTIONS: dict[str, str] = {
    "face": "visible face skin (skull and jaw outline less the fringe; ears, hair, neck and backdrop are outside)",
    "phen_childlike": "whole face (proportions: cranium, eye size and height, nose, chin)",
    "phen_puffiness": "whole face (width of the lower face, sallow tint)",
    "phen_periorbital": "eyes, swollen upper lids and the bags under the eyes",
    "phen_acne": "papule areas on both cheeks, forehead and chin, and the cheek redness",
    "phen_oily": "shine on the forehead, nose tip and cheeks",
    "phen_beard": "stubble on the upper lip and chin",
    "phen_mature": "whole face (adult proportions)",
    "phen_pallor": "whole face (skin and lip colour)",
    "phen_fatigue": "eyes and dark circles, brows, mouth",
}


@dataclass(frozen=True)
class _Pose:
    """What :func:`draw_photo` drew at random for one photo and the regions need: size, head, expression."""

    W: int
    H: int
    cx: float
    cy: float
    a: float  # face half-width in pixels
    angle: float  # in-plane rotation in degrees (about the face centre)
    eye_open: float
    brow_raise: float
    smile: float
    gaze: float = 0.0  # horizontal shift of the irises, in face units


def _top_ext(look: SubjectLook) -> float:
    return 1.0 + 0.2 * (1 - look.maturity)  # children: larger cranium


def _chin(look: SubjectLook) -> float:
    return look.aspect * (0.85 + 0.15 * look.maturity)


def _mouth_y(look: SubjectLook) -> float:
    return look.eye_y + look.nose_len + 0.3


def planted_regions(look: SubjectLook, pose: _Pose) -> dict[str, np.ndarray]:
    """Masks of where :func:`draw_photo` draws each phenotype on one photo (called by it with ``regions=``).

    Each mask is a float32 (H, W) array in [0, 1] (anti-aliased edges) in the photo's pixels, after the photo's
    in-plane rotation. ``"face"`` is the visible face skin; every phenotype's region lies inside it (it is multiplied
    by it) and is drawn whatever the phenotype's intensity, so a control has the same regions as a patient. Regions
    follow the drawing code: an element drawn as an ellipse gets that ellipse, widened by 1.5 standard deviations
    of the blur the drawing applies to it; the acne papules, whose positions are random, get ellipses of 2 standard
    deviations of their scatter about each area's centre plus the largest papule radius. The phenotypes of
    :data:`FACE_WIDE_PHENOTYPES` change the whole face and get the face (:data:`REGION_DESCRIPTIONS`).

    Examples
    --------
    >>> look = SubjectLook.sample(np.random.default_rng(0), sex="M", age_years=12.0, phenotype={})
    >>> m = planted_regions(look, _Pose(W=240, H=300, cx=120, cy=140, a=50, angle=0, eye_open=1, brow_raise=0,
    ...                                  smile=0))
    >>> bool((m["phen_beard"] <= m["face"] + 1e-6).all()), 0.0 < float(m["phen_beard"].sum()) < float(m["face"].sum())
    (True, True)
    """
    W, H, cx, cy, a = pose.W, pose.H, pose.cx, pose.cy, pose.a
    p = look.phen

    def ellipses(items: list[tuple[float, float, float, float]], *, start: float = 0.0,
                 end: float = 360.0) -> np.ndarray:
        m = np.zeros((H, W), np.float32)
        for u, v, du, dv in items:
            _ellipse(m, cx, cy, a, u, v, du, dv, 1.0, start=start, end=end)
        return m

    top_ext, chin, ey = _top_ext(look), _chin(look), look.eye_y
    face = np.maximum.reduce([ellipses([(0.0, 0.0, 1.0, look.aspect * top_ext)], start=180, end=360),
                              ellipses([(0.0, 0.0, 1.0, look.aspect * 0.35)]),
                              ellipses([(0.0, 0.0, min(1.0, look.jaw), chin)], start=0, end=180)])
    top, fr = -look.aspect * top_ext, look.fringe
    fringe = np.maximum(ellipses([(0.0, top + 0.05, 1.08, 0.3 + 0.45 * fr)], start=180, end=360),
                        ellipses([(0.0, top + 0.05, 1.02, 0.12 + 0.35 * fr)], start=0, end=180))
    face *= 1.0 - fringe
    # blur widths of the drawing, in face units: the shading layer (drawn at 1/4 resolution, then upsampled),
    # the redness, the shine and the stubble
    shade = 1.5 * max(0.8 * 4 / a, 0.09) + 4 / a
    red, shine, stub = 1.5 * 0.1, 1.5 * 0.05, 1.5 * (0.02 + 0.5 / a)
    ew, eh = look.eye_w, look.eye_h * pose.eye_open
    eyes, circles, bags, lids, brows = [], [], [], [], []
    for s in (-1, 1):
        ex = s * look.eye_dx
        eyes.append((ex, ey, ew + 0.03, eh + 0.03))
        circles.append((ex, ey + 0.14, ew * 1.3 + shade, 0.11 + shade))
        bags += [(ex, ey + 0.22, ew * 1.25 + shade, 0.05 + shade), (ex, ey + 0.12, ew * 1.15 + shade, 0.08 + shade)]
        lid_h = eh * (0.3 + 0.35 * p["phen_periorbital"])
        lids.append((ex, ey - eh * 0.9, ew * 1.1 + 0.04, lid_h + 0.04))
        by = ey - 0.2 - pose.brow_raise
        brows.append((ex, by + 0.013, ew * 1.25 + look.brow_thick, 0.035 + look.brow_thick))
    acne_centres = [(-0.5, 0.35), (0.5, 0.35), (0.0, -0.55 * look.aspect), (0.0, 0.85 * look.aspect)]
    acne = [(u, v, 2 * 0.2 + 0.08, 2 * 0.12 + 0.08) for u, v in acne_centres]
    acne += [(s * 0.5, 0.38, 0.3 + red, 0.25 + red) for s in (-1, 1)]
    oily = [(0.0, -0.5 * look.aspect, 0.35 + shine, 0.1 + shine), (0.0, ey + look.nose_len * 0.8, 0.07 + shine,
                                                                    0.1 + shine)]
    oily += [(s * 0.5, 0.25, 0.12 + shine, 0.07 + shine) for s in (-1, 1)]
    mouth_y = _mouth_y(look)
    beard = [(0.0, mouth_y - 0.1, 0.3 + stub, 0.06 + stub), (0.0, chin * 0.85, 0.4 + stub, 0.18 + stub)]
    mw = look.mouth_w * (1 + 0.12 * pose.smile)
    curve = abs(0.06 * pose.smile - 0.06 * p["phen_fatigue"])
    mouth = [(0.0, mouth_y, mw + 0.04, 0.1 + curve)]
    local = {
        "phen_periorbital": ellipses(eyes + bags + lids),
        "phen_acne": ellipses(acne),
        "phen_oily": ellipses(oily),
        "phen_beard": ellipses(beard),
        "phen_fatigue": ellipses(eyes + circles + brows + mouth),
    }
    out = {"face": face}
    for key in PHENOTYPE_COLUMNS:
        out[key] = face if key in FACE_WIDE_PHENOTYPES else local[key] * face
    rot = cv2.getRotationMatrix2D((cx, cy), pose.angle, 1.0)
    return {k: np.clip(cv2.warpAffine(m, rot, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                      borderValue=0.0), 0.0, 1.0) for k, m in out.items()}


def draw_photo(look: SubjectLook, rng: np.random.Generator, *, photo_size: tuple[int, int] = (320, 400),
               capture_shift: float = 0.0, regions: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Draw one frontal photo of a subject; returns an RGB uint8 array of shape (height, width, 3).

    ``rng`` supplies the photo-to-photo variation (pose, lighting, expression, noise). ``capture_shift`` > 0 applies
    the web-photo look of :func:`render_cohort` (the caller decides whom it applies to).

    ``regions``, when a dict is given, receives the planted-region masks of this photo (:data:`REGION_KEYS`: the
    visible face and one region per phenotype, see :func:`planted_regions`), float32 arrays of shape (height, width)
    in [0, 1], in the photo's pixels. Asking for them draws no random number and leaves the photo unchanged.

    The photo is drawn in layers, each its own function and in this order (the random draws come in it): the pose
    and expression (:func:`_draw_pose`), the backdrop, body and head (:func:`_draw_head`), the shading over the face
    (:func:`_shade_face`), the skin's texture (:func:`_draw_skin`), the eyes, nose, mouth and fringe
    (:func:`_draw_features`), then the camera: softness, rotation, lighting, colour, noise (:func:`_camera`).

    Examples
    --------
    >>> look = SubjectLook.sample(np.random.default_rng(2), sex="M", age_years=14, phenotype={"phen_acne": 1.0})
    >>> draw_photo(look, np.random.default_rng(3), photo_size=(240, 300)).shape
    (300, 240, 3)
    >>> masks = {}
    >>> img = draw_photo(look, np.random.default_rng(3), photo_size=(240, 300), regions=masks)
    >>> sorted(masks) == sorted(REGION_KEYS), masks["face"].shape
    (True, (300, 240))
    """
    W, H = int(photo_size[0]), int(photo_size[1])
    if W < 64 or H < 64:
        raise ValueError(f"photo_size must be at least (64, 64), got {photo_size!r}")
    pose = _draw_pose(look, rng, W, H)
    img = _draw_head(look, pose, rng, capture_shift)
    roi = _shade_face(img, look, pose)
    _draw_skin(img, look, pose, rng, roi)
    _draw_features(img, look, pose)
    if regions is not None:
        regions.clear()
        regions.update(planted_regions(look, pose))
    return _camera(img, pose, rng, capture_shift)


def _draw_pose(look: SubjectLook, rng: np.random.Generator, W: int, H: int) -> _Pose:
    """The photo's pose and expression: head size and position, rotation, smile, brows, eye opening, gaze."""
    p = look.phen
    scale = rng.uniform(0.88, 1.12)
    a = 0.205 * W * scale * (1.0 + 0.12 * p["phen_puffiness"])  # face half-width in pixels
    cx = W / 2 + rng.uniform(-0.06, 0.06) * W
    cy = H * 0.46 + rng.uniform(-0.05, 0.05) * H
    angle = rng.uniform(-7, 7)
    smile = rng.uniform(-0.2, 1.0) * (1 - 0.6 * p["phen_fatigue"])
    brow_raise = rng.uniform(-0.02, 0.05) - 0.03 * p["phen_fatigue"]
    eye_open = rng.uniform(0.85, 1.1) * (1 - 0.2 * p["phen_periorbital"]) * (1 - 0.15 * p["phen_fatigue"])
    gaze = rng.uniform(-0.04, 0.04)
    return _Pose(W=W, H=H, cx=cx, cy=cy, a=a, angle=angle, eye_open=eye_open, brow_raise=brow_raise, smile=smile,
                 gaze=gaze)


def _draw_head(look: SubjectLook, pose: _Pose, rng: np.random.Generator, capture_shift: float) -> np.ndarray:
    """A float32 (H, W, 3) image: the smooth backdrop, shoulders and neck, hair behind the head, ears, the face."""
    W, H, cx, cy, a = pose.W, pose.H, pose.cx, pose.cy, pose.a
    bg_base = _BACKDROPS[rng.integers(len(_BACKDROPS))] * rng.uniform(0.88, 1.04)
    if capture_shift > 0:
        bg_base = bg_base + capture_shift * (np.array([40.0, 60.0, 20.0], np.float32) - bg_base) * 0.6
    grid = bg_base[None, None, :] * (1 + 0.06 * rng.uniform(-1, 1, size=(4, 3, 1)).astype(np.float32))
    img = cv2.resize(np.clip(grid, 0, 255).astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC)
    skin = tuple(float(x) for x in look.skin)
    skin_dark = tuple(float(x) * 0.78 for x in look.skin)
    hair = tuple(float(x) for x in look.hair)
    # shoulders and neck
    _ellipse(img, cx, cy, a, 0.0, look.aspect + 1.75, 2.6, 1.0, tuple(float(x) for x in look.shirt))
    cv2.rectangle(img, _pt(cx, cy, a, -0.42, 0.3), _pt(cx, cy, a, 0.42, look.aspect + 0.9), skin_dark, -1,
                  lineType=cv2.LINE_AA, shift=4)
    # hair behind the head
    hb = look.aspect * 1.08
    if look.hair_long:
        cv2.rectangle(img, _pt(cx, cy, a, -1.18, -0.2), _pt(cx, cy, a, 1.18, look.aspect + 0.9), hair, -1,
                      lineType=cv2.LINE_AA, shift=4)
    _ellipse(img, cx, cy, a, 0.0, -0.12, 1.2, hb, hair)
    for s in (-1, 1):  # ears
        _ellipse(img, cx, cy, a, s * 0.98, 0.02, 0.16, 0.26, skin_dark)
    # face: upper skull ellipse + jaw ellipse
    _ellipse(img, cx, cy, a, 0.0, 0.0, 1.0, look.aspect * _top_ext(look), skin, start=180, end=360)
    _ellipse(img, cx, cy, a, 0.0, 0.0, 1.0, look.aspect * 0.35, skin)
    _ellipse(img, cx, cy, a, 0.0, 0.0, min(1.0, look.jaw), _chin(look), skin, start=0, end=180)
    return img


def _shade_face(img: np.ndarray, look: SubjectLook, pose: _Pose) -> tuple[int, int, int, int]:
    """Multiply the head region by a shading layer (drawn at 1/4 resolution, blurred, upsampled) confined to the
    face; returns the region ``(x0, y0, x1, y1)`` in pixels."""
    W, H, cx, cy, a = pose.W, pose.H, pose.cx, pose.cy, pose.a
    p, b = look.phen, a * look.aspect
    x0, y0 = max(0, int(cx - 1.3 * a)), max(0, int(cy - 1.6 * b))
    x1, y1 = min(W, int(cx + 1.3 * a)), min(H, int(cy + 1.3 * b))
    roi_w, roi_h = x1 - x0, y1 - y0
    f = 4  # downsample factor of the shading layer
    sw, sh = max(4, roi_w // f), max(4, roi_h // f)
    shade = np.ones((sh, sw), np.float32)
    lcx, lcy, la = (cx - x0) / f, (cy - y0) / f, a / f
    ey = look.eye_y
    # rounded 3D fall-off at the face border
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    d2 = ((xx - lcx) / la) ** 2 + ((yy - lcy) / (la * look.aspect)) ** 2
    shade *= 1.0 - 0.25 * np.clip(d2, 0, 1.0) ** 1.5
    # eye sockets darker, nose bridge lighter, cheeks lighter, under-nose and under-lip shadows
    _ellipse(shade, lcx, lcy, la, 0.0, ey - 0.02, 0.78, 0.2, 0.58)
    for s in (-1, 1):
        _ellipse(shade, lcx, lcy, la, s * look.eye_dx, ey, look.eye_w * 1.6, 0.2, 0.48)
        _ellipse(shade, lcx, lcy, la, s * 0.45, ey + 0.45, 0.25, 0.2, 1.1)
    _ellipse(shade, lcx, lcy, la, 0.0, ey + look.nose_len * 0.45, 0.09, look.nose_len * 0.55, 1.3)
    _ellipse(shade, lcx, lcy, la, 0.0, ey + look.nose_len + 0.08, 0.16, 0.05, 0.75)
    _ellipse(shade, lcx, lcy, la, 0.0, -0.55 * look.aspect, 0.5, 0.2, 1.08)  # forehead highlight
    # fatigue: dark circles; periorbital swelling: bags (light bulge with a shadow under it)
    for s in (-1, 1):
        if p["phen_fatigue"] > 0:
            _ellipse(shade, lcx, lcy, la, s * look.eye_dx, ey + 0.14, look.eye_w * 1.3, 0.11,
                     1.0 - 0.55 * p["phen_fatigue"])
        if p["phen_periorbital"] > 0:
            _ellipse(shade, lcx, lcy, la, s * look.eye_dx, ey + 0.22, look.eye_w * 1.25, 0.05,
                     1.0 - 0.3 * p["phen_periorbital"])
            _ellipse(shade, lcx, lcy, la, s * look.eye_dx, ey + 0.12, look.eye_w * 1.15, 0.08,
                     1.0 + 0.22 * p["phen_periorbital"])
    # confine the shading to the face (skull + jaw outline), so hair and background keep their colour
    face_mask = np.zeros((sh, sw), np.float32)
    _ellipse(face_mask, lcx, lcy, la, 0.0, 0.0, 1.0, look.aspect * _top_ext(look), 1.0, start=180, end=360)
    _ellipse(face_mask, lcx, lcy, la, 0.0, 0.0, 1.0, look.aspect * 0.35, 1.0)
    _ellipse(face_mask, lcx, lcy, la, 0.0, 0.0, min(1.0, look.jaw), _chin(look), 1.0, start=0, end=180)
    shade = 1.0 + (shade - 1.0) * face_mask
    shade = cv2.GaussianBlur(shade, (0, 0), max(0.8, 0.09 * la))
    shade = cv2.resize(shade, (roi_w, roi_h), interpolation=cv2.INTER_LINEAR)
    img[y0:y1, x0:x1] *= shade[..., None]
    return x0, y0, x1, y1


def _draw_skin(img: np.ndarray, look: SubjectLook, pose: _Pose, rng: np.random.Generator,
               roi: tuple[int, int, int, int]) -> None:
    """The skin's texture inside the head region ``roi``: acne and cheek redness, oily shine, stubble."""
    p, a = look.phen, pose.a
    x0, y0, x1, y1 = roi
    roi_h, roi_w = y1 - y0, x1 - x0
    ox, oy = pose.cx - x0, pose.cy - y0  # the face centre in the region
    if p["phen_acne"] > 0.02:
        _draw_acne(img, look, pose, rng)
        red = np.zeros((roi_h, roi_w), np.float32)
        for s in (-1, 1):
            _ellipse(red, ox, oy, a, s * 0.5, 0.38, 0.3, 0.25, 1.0)
        red = cv2.GaussianBlur(red, (0, 0), 0.1 * a)
        img[y0:y1, x0:x1, 0] += 45 * p["phen_acne"] * red
        img[y0:y1, x0:x1, 1] -= 25 * p["phen_acne"] * red
        img[y0:y1, x0:x1, 2] -= 25 * p["phen_acne"] * red
    if p["phen_oily"] > 0.02:
        shine = np.zeros((roi_h, roi_w), np.float32)
        _ellipse(shine, ox, oy, a, 0.0, -0.5 * look.aspect, 0.35, 0.1, 1.0)
        _ellipse(shine, ox, oy, a, 0.0, look.eye_y + look.nose_len * 0.8, 0.07, 0.1, 1.0)
        for s in (-1, 1):
            _ellipse(shine, ox, oy, a, s * 0.5, 0.25, 0.12, 0.07, 0.8)
        shine = cv2.GaussianBlur(shine, (0, 0), 0.05 * a)
        img[y0:y1, x0:x1] += (90 * p["phen_oily"] * shine)[..., None]
    if p["phen_beard"] > 0.02:
        stub = np.zeros((roi_h, roi_w), np.float32)
        _ellipse(stub, ox, oy, a, 0.0, _mouth_y(look) - 0.1, 0.3, 0.06, 1.0)
        _ellipse(stub, ox, oy, a, 0.0, _chin(look) * 0.85, 0.4, 0.18, 1.0)
        stub *= rng.uniform(0.5, 1.0, size=stub.shape).astype(np.float32)
        stub = cv2.GaussianBlur(stub, (0, 0), 0.02 * a + 0.5)
        img[y0:y1, x0:x1] *= (1.0 - 0.55 * p["phen_beard"] * stub)[..., None]


def _draw_acne(img: np.ndarray, look: SubjectLook, pose: _Pose, rng: np.random.Generator) -> None:
    """Papules scattered about four areas (both cheeks, forehead, chin), their number Poisson in the intensity.

    Redder than the skin but about as bright (luminance kept), so they colour the face without breaking its
    light/dark structure.
    """
    p, cx, cy, a = look.phen, pose.cx, pose.cy, pose.a
    acne_red = (min(255.0, float(look.skin[0]) * 1.12 + 12), float(look.skin[1]) * 0.8, float(look.skin[2]) * 0.8)
    n_spots = int(rng.poisson(60 * p["phen_acne"]))
    acne_areas = np.array([[-0.5, 0.35], [0.5, 0.35], [0.0, -0.55 * look.aspect], [0.0, 0.85 * look.aspect]])
    for _ in range(n_spots):
        ru, rv = acne_areas[rng.integers(0, len(acne_areas))]
        u, v = ru + rng.normal(0, 0.2), rv + rng.normal(0, 0.12)
        r = rng.uniform(0.04, 0.08)
        _ellipse(img, cx, cy, a, u, v, r, r, acne_red)


def _draw_features(img: np.ndarray, look: SubjectLook, pose: _Pose) -> None:
    """Brows and eyes (:func:`_draw_eyes`), nostrils, the mouth (:func:`_draw_mouth`) and the fringe."""
    cx, cy, a = pose.cx, pose.cy, pose.a
    for s in (-1, 1):
        _draw_eyes(img, look, pose, s)
    ny = look.eye_y + look.nose_len  # nostrils
    for s in (-1, 1):
        _ellipse(img, cx, cy, a, s * 0.08, ny, 0.05, 0.03, tuple(float(x) * 0.45 for x in look.skin))
    _draw_mouth(img, look, pose)
    # fringe over the forehead
    hair = tuple(float(x) for x in look.hair)
    fr = look.fringe
    top = -look.aspect * _top_ext(look)
    _ellipse(img, cx, cy, a, 0.0, top + 0.05, 1.08, 0.3 + 0.45 * fr, hair, start=180, end=360)
    _ellipse(img, cx, cy, a, 0.0, top + 0.05, 1.02, 0.12 + 0.35 * fr, hair, start=0, end=180)


def _draw_eyes(img: np.ndarray, look: SubjectLook, pose: _Pose, s: int) -> None:
    """The brow and the eye on side ``s`` (-1 left, 1 right): sclera, iris, pupil, upper lid, a swollen lid."""
    p, cx, cy, a = look.phen, pose.cx, pose.cy, pose.a
    ey, ex = look.eye_y, s * look.eye_dx
    ew, eh = look.eye_w, look.eye_h * pose.eye_open
    brow_col = tuple(min(float(x) * 0.8, 55.0) for x in look.hair)  # brows stay dark whatever the hair colour
    by = ey - 0.2 - pose.brow_raise
    cv2.ellipse(img, _pt(cx, cy, a, ex, by + 0.08), _axes(a, ew * 1.25, 0.1), 0, 200, 340, brow_col,
                max(1, int(round(look.brow_thick * a))), lineType=cv2.LINE_AA, shift=4)
    _ellipse(img, cx, cy, a, ex, ey, ew, eh, (235.0, 232.0, 228.0))
    ir = min(eh * 1.05, ew * 0.55)
    _ellipse(img, cx, cy, a, ex + pose.gaze, ey, ir, min(ir, eh), tuple(float(x) for x in look.iris))
    _ellipse(img, cx, cy, a, ex + pose.gaze, ey, ir * 0.45, min(ir * 0.45, eh), (12.0, 10.0, 10.0))
    cv2.ellipse(img, _pt(cx, cy, a, ex, ey), _axes(a, ew, eh), 0, 180, 360, (25.0, 20.0, 20.0),
                max(1, int(round(0.03 * a))), lineType=cv2.LINE_AA, shift=4)
    if p["phen_periorbital"] > 0.05:  # swollen upper lid covering part of the eye
        lid_h = eh * (0.3 + 0.35 * p["phen_periorbital"])
        _ellipse(img, cx, cy, a, ex, ey - eh * 0.9, ew * 1.1, lid_h, tuple(float(x) * 0.97 for x in look.skin),
                 start=0, end=180)
        # lash line along the swollen lid's edge keeps the eye dark
        cv2.ellipse(img, _pt(cx, cy, a, ex, ey - eh * 0.9), _axes(a, ew * 0.95, lid_h), 0, 20, 160,
                    (25.0, 20.0, 20.0), max(1, int(round(0.035 * a))), lineType=cv2.LINE_AA, shift=4)


def _draw_mouth(img: np.ndarray, look: SubjectLook, pose: _Pose) -> None:
    """The lips as a curved band, the smile lifting the corners and fatigue drooping them, and the lips' line."""
    cx, cy, a = pose.cx, pose.cy, pose.a
    mouth_y = _mouth_y(look)
    mw = look.mouth_w * (1 + 0.12 * pose.smile)
    curve = 0.06 * pose.smile - 0.06 * look.phen["phen_fatigue"]
    pts_up, pts_lo = [], []
    for t in np.linspace(-1, 1, 9):
        yv = mouth_y - curve * (t * t)
        pts_up.append(_pt(cx, cy, a, t * mw, yv - 0.05 * (1 - t * t) - 0.01))
        pts_lo.append(_pt(cx, cy, a, t * mw, yv + 0.07 * (1 - t * t) + 0.01))
    poly = np.array(pts_up + pts_lo[::-1], dtype=np.int32)
    cv2.fillPoly(img, [poly], tuple(float(x) for x in look.lips), lineType=cv2.LINE_AA, shift=4)
    line = np.array([_pt(cx, cy, a, t * mw, mouth_y - curve * t * t + 0.005) for t in np.linspace(-1, 1, 9)],
                    np.int32)
    cv2.polylines(img, [line], False, tuple(float(x) * 0.5 for x in look.lips), max(1, int(round(0.02 * a))),
                  lineType=cv2.LINE_AA, shift=4)


def _camera(img: np.ndarray, pose: _Pose, rng: np.random.Generator, capture_shift: float) -> np.ndarray:
    """The camera's part: softness, the in-plane rotation, lighting and white balance, sensor noise; uint8 RGB."""
    W, H = pose.W, pose.H
    sigma = rng.uniform(0.5, 1.0) * W / 320
    if capture_shift > 0:
        sigma *= 1 + 0.8 * capture_shift
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    rot = cv2.getRotationMatrix2D((pose.cx, pose.cy), pose.angle, 1.0)
    img = cv2.warpAffine(img, rot, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    theta = rng.uniform(0, 2 * math.pi)
    strength = rng.uniform(0.0, 0.2)
    wb = rng.uniform(0.97, 1.03, size=3).astype(np.float32)
    if capture_shift > 0:
        wb = wb * (1 + capture_shift * np.array([0.10, 0.02, -0.12], np.float32))
    # lighting: a linear gradient in a random direction times white balance; linear, so a 2x2 grid resized
    # bilinearly (corner-aligned) gives the exact full-resolution field
    gx = np.array([-1.0, 1.0], np.float32)[None, :] * math.cos(theta)
    gy = np.array([-1.0, 1.0], np.float32)[:, None] * math.sin(theta)
    corners = rng.uniform(0.96, 1.04) * (1 + 0.5 * strength * (gx + gy))
    gain = corners[..., None] * wb[None, None, :]
    ys = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    xs = np.linspace(0, 1, W, dtype=np.float32)[None, :, None]
    top = gain[0, 0] + (gain[0, 1] - gain[0, 0]) * xs
    bottom = gain[1, 0] + (gain[1, 1] - gain[1, 0]) * xs
    img *= top + (bottom - top) * ys
    # sensor noise: uniform integer noise (cheap; the JPEG step turns it into a grainy texture)
    amp = int(rng.integers(3, 10))
    img += rng.integers(-amp, amp + 1, size=img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def encode_jpeg(img: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an RGB uint8 image (baseline, no metadata, so the bytes depend only on pixels and quality).

    Examples
    --------
    >>> encode_jpeg(np.zeros((8, 8, 3), np.uint8), 90)[:2]
    b'\\xff\\xd8'
    """
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"img must be an RGB uint8 array (H, W, 3), got {getattr(img, 'dtype', type(img))} "
                         f"{getattr(img, 'shape', '')}")
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality!r}")
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV failed to encode a JPEG")
    return buf.tobytes()


def render_subject(index: int, subject_id: str, sex: str, age_years: float, phenotype: dict[str, float], *,
                   seed: int, photo_size: tuple[int, int] = (320, 400), capture_shift: float = 0.0,
                   n_photos: int = 4) -> list[bytes]:
    """JPEG bytes of the ``n_photos`` photos of one subject (row ``index`` of the cohort).

    ``capture_shift`` here is the strength applied to this subject (the cohort function passes 0 for patients).

    Examples
    --------
    >>> jpgs = render_subject(0, "s0", "F", 8.0, {}, seed=1, photo_size=(160, 200), n_photos=2)
    >>> len(jpgs), jpgs[0] == render_subject(0, "s0", "F", 8.0, {}, seed=1, photo_size=(160, 200))[0]
    (2, True)
    """
    return [jpeg for jpeg, _ in _subject_photos(index, sex, age_years, phenotype, seed=seed, photo_size=photo_size,
                                                capture_shift=capture_shift, n_photos=n_photos, regions=False)]


def render_subject_regions(index: int, subject_id: str, sex: str, age_years: float, phenotype: dict[str, float], *,
                           seed: int, photo_size: tuple[int, int] = (320, 400), capture_shift: float = 0.0,
                           n_photos: int = 4) -> list[tuple[bytes, dict[str, np.ndarray]]]:
    """:func:`render_subject` with the planted-region masks of every photo (:func:`planted_regions`).

    The same arguments give the same JPEG bytes as :func:`render_subject`, so the masks belong to the photos the
    cohort holds (compare the bytes with the SHA-256 recorded in twin.json).

    Returns
    -------
    list of (bytes, dict)
        Per photo: its JPEG bytes and its masks (:data:`REGION_KEYS` -> float32 (height, width) in [0, 1]).

    Examples
    --------
    >>> out = render_subject_regions(0, "s0", "F", 8.0, {}, seed=1, photo_size=(160, 200), n_photos=2)
    >>> out[1][0] == render_subject(0, "s0", "F", 8.0, {}, seed=1, photo_size=(160, 200))[1], out[0][1]["face"].shape
    (True, (200, 160))
    """
    return list(_subject_photos(index, sex, age_years, phenotype, seed=seed, photo_size=photo_size,
                                capture_shift=capture_shift, n_photos=n_photos, regions=True))


def _subject_photos(index: int, sex: str, age_years: float, phenotype: dict[str, float], *, seed: int,
                    photo_size: tuple[int, int], capture_shift: float, n_photos: int,
                    regions: bool) -> Iterator[tuple[bytes, dict[str, np.ndarray]]]:
    """The photos of one subject in order: JPEG bytes and (when ``regions``) the planted-region masks."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    look = SubjectLook.sample(rng, sex=sex, age_years=age_years, phenotype=phenotype)
    for _ in range(n_photos):
        masks: dict[str, np.ndarray] | None = {} if regions else None
        img = draw_photo(look, rng, photo_size=photo_size, capture_shift=capture_shift, regions=masks)
        quality = int(rng.integers(78, 96))
        if capture_shift > 0:
            quality = max(20, int(quality - 45 * min(capture_shift, 1.5)))
        yield encode_jpeg(img, quality), masks or {}


def _render_job(job: tuple[Any, ...]) -> list[tuple[str, str]]:
    """Worker: render one chunk of subjects, write their photos; return (relative path, sha256) pairs."""
    out_dir, seed, photo_size, rows = job
    cv2.setNumThreads(1)
    done = []
    for index, sid, sex, age, phen, shift in rows:
        for k, data in enumerate(render_subject(index, sid, sex, age, phen, seed=seed, photo_size=photo_size,
                                                capture_shift=shift), start=1):
            rel = f"photos/{sid}_{k}.jpg"
            io.write_bytes(data, Path(out_dir) / rel)
            done.append((rel, io.sha256_bytes(data)))
    return done


def render_cohort(manifest: pd.DataFrame, truth: pd.DataFrame, out_dir: str | os.PathLike[str], *, seed: int,
                  photo_size: tuple[int, int] = (320, 400), capture_shift: float = 0.0, workers: int | None = None,
                  effects: PhenotypeEffects | None = None, progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Render four frontal JPEG photos per subject of the twin and record them.

    Parameters
    ----------
    manifest : DataFrame
        The twin's manifest (one row per subject; ``subject_id``, ``sex``, ``age_years``, ``group``).
    truth : DataFrame
        The twin's truth table (latent state; see :mod:`gvisage_lib.twin.phenotype`), one row per manifest subject.
    out_dir : path-like
        Cohort folder. Photos go to ``out_dir/photos/<subject_id>_<k>.jpg`` (k = 1..4); ``out_dir/twin.json`` gets
        the generator, version, seed, effects, capture shift and the SHA-256 of every photo (the privacy guard of
        :mod:`gvisage_lib.cohort.privacy` trusts only photos listed there). Keys already in twin.json are kept.
    seed : int
        Master seed. Subject ``i`` (row position) draws from ``SeedSequence([seed, i])``: same seed, byte-identical
        JPEGs, whatever ``workers``.
    photo_size : (int, int)
        Width and height of the photos in pixels.
    capture_shift : float
        0 (default) = off. When > 0, the normal controls are photographed differently from the patients, as when
        controls come from a public web dataset: greenish outdoor background, warmer white balance, softer focus
        and heavier JPEG compression, with a strength that grows with the value (1 = strong). It is a shortcut that
        has nothing to do with disease: turn it on to see a CNN reach a high stage-1 AUC by learning how the photo
        was taken, and watch the planted-phenotype checks stop explaining its score.
    workers : int, optional
        Worker processes (None = all cores; 1 = in this process).
    effects : PhenotypeEffects, optional
        Phenotype effect sizes (default: the twin's).
    progress : bool
        Report progress on the terminal (:mod:`gvisage_lib.core.progress`): a line at most every 30 s and one when
        done.

    Returns
    -------
    (manifest, truth)
        Copies: the manifest with ``photo_1``..``photo_4`` filled (paths relative to ``out_dir``), and the truth
        table with the ``phen_*`` columns added (replaced if present).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> m = pd.DataFrame({"subject_id": ["s1"], "group": ["NC"], "sex": ["F"], "age_years": [9.0]})
    >>> t = pd.DataFrame({"subject_id": ["s1"], "group": ["NC"], "sex": ["F"], "age_years": [9.0],
    ...     "axis_thyroid": [0.0], "axis_gh": [0.0], "axis_adrenal": [0.0], "axis_gonadal": [0.0],
    ...     "hcg_precocious_puberty": [0], "endocrine_damage": [0.0], "intracranial_hypertension": [0],
    ...     "vision_change": [0], "growth_retardation": [0]})
    >>> m2, t2 = render_cohort(m, t, tempfile.mkdtemp(), seed=1, photo_size=(160, 200), workers=1, progress=False)
    >>> m2.loc[0, "photo_4"], "phen_pallor" in t2
    ('photos/s1_4.jpg', True)
    """
    if not isinstance(manifest, pd.DataFrame) or not isinstance(truth, pd.DataFrame):
        raise TypeError("manifest and truth must be pandas DataFrames")
    for col in ("subject_id", "sex", "age_years", "group"):
        if col not in manifest.columns:
            raise ValueError(f"manifest lacks column {col!r}")
    if "subject_id" not in truth.columns:
        raise ValueError("truth lacks column 'subject_id'")
    ids = manifest["subject_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(f"manifest subject_id must be unique; duplicated: {ids[ids.duplicated()].iloc[0]!r}")
    bad_ids = [s for s in ids if not s or any(ch in s for ch in '/\\:*?"<>|') or s.startswith(".")]
    if bad_ids:
        raise ValueError(f"manifest subject_id must be usable as a file name, got {bad_ids[0]!r}")
    t_ids = truth["subject_id"].astype(str)
    if set(t_ids) != set(ids) or len(t_ids) != len(ids):
        raise ValueError("truth and manifest must hold the same subject_ids, one row each")
    if (not isinstance(photo_size, (tuple, list)) or len(photo_size) != 2
            or not all(isinstance(v, (int, np.integer)) and v >= 64 for v in photo_size)):
        raise ValueError(f"photo_size must be (width, height) integers >= 64, got {photo_size!r}")
    capture_shift = float(capture_shift)
    if not math.isfinite(capture_shift) or capture_shift < 0:
        raise ValueError(f"capture_shift must be a finite float >= 0, got {capture_shift!r}")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ValueError(f"workers must be None or an integer >= 1, got {workers!r}")
    effects = effects if effects is not None else PhenotypeEffects()

    phen = phenotype_from_truth(truth, effects, seed=seed).set_index("subject_id")
    out = Path(out_dir)
    (out / "photos").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, r in enumerate(manifest[["subject_id", "sex", "age_years", "group"]].itertuples(index=False)):
        sid = str(r.subject_id)
        shift = capture_shift if (capture_shift > 0 and r.group == "NC") else 0.0
        rows.append((i, sid, str(r.sex), float(r.age_years), {c: float(phen.at[sid, c]) for c in PHENOTYPE_COLUMNS},
                     shift))
    size = (int(photo_size[0]), int(photo_size[1]))
    n_workers = workers or os.cpu_count() or 1
    n_workers = max(1, min(n_workers, len(rows)))
    chunk = max(1, min(16, math.ceil(len(rows) / (n_workers * 4))))
    jobs = [(str(out), int(seed), size, rows[i:i + chunk]) for i in range(0, len(rows), chunk)]
    hashes: dict[str, str] = {}
    ticker = Ticker("rendering twin photos", len(rows), unit="subject", enabled=progress)
    if n_workers == 1:
        for job in jobs:
            hashes.update(_render_job(job))
            ticker.update(len(job[3]))
    else:
        with worker_pool(n_workers) as pool:
            for job, done in zip(jobs, pool.map(_render_job, jobs)):
                hashes.update(done)
                ticker.update(len(job[3]))
    ticker.finish(f"{len(rows)} subjects, {n_workers} worker(s)")

    m = manifest.copy()
    for k, col in enumerate(PHOTO_COLUMNS, start=1):
        m[col] = [f"photos/{sid}_{k}.jpg" for sid in ids]
    t = truth.drop(columns=[c for c in PHENOTYPE_COLUMNS if c in truth.columns]).copy()
    t = t.merge(phen.reset_index(), on="subject_id", how="left", validate="one_to_one")
    t = t.set_index(t["subject_id"].astype(str)).loc[t_ids.to_numpy()].reset_index(drop=True)

    twin_json = out / "twin.json"
    meta: dict[str, Any] = {}
    if twin_json.exists():
        import json

        meta = json.loads(twin_json.read_text(encoding="utf-8"))
    meta["photos"] = {
        "generator": GENERATOR_NAME,
        "version": RENDER_VERSION,
        "seed": int(seed),
        "photo_size": list(size),
        "capture_shift": capture_shift,
        "effects": effects.to_dict(),
        "n_subjects": len(rows),
    }
    meta["photo_sha256"] = dict(sorted(hashes.items()))
    io.write_json(meta, twin_json)
    return m, t
