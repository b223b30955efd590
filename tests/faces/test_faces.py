"""Tests of gvisage_lib.faces.detection: Haar detection on a real photograph, blur measure, crops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from gvisage_lib.faces.detection import (
    check_rgb_image,
    crop_square,
    decode_image,
    detect_faces,
    laplacian_variance,
    resize_square,
)


def test_detects_the_astronaut_once():
    img = data.astronaut()  # a real photograph shipped inside scikit-image (Eileen Collins, NASA, public domain)
    boxes = detect_faces(img)
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    # the face is in the upper middle of the 512x512 picture, about 100 px wide
    assert 150 < x < 250 and 30 < y < 120 and 70 < w < 140


def test_no_face_on_blank_or_noise():
    assert detect_faces(np.zeros((300, 300, 3), np.uint8)) == []
    assert detect_faces(np.full((300, 240, 3), 200, np.uint8)) == []


def test_boxes_sorted_largest_first_in_input_pixels():
    img = data.astronaut()
    small = cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)
    canvas = np.full((600, 900, 3), 128, np.uint8)
    canvas[20:532, 0:512] = img
    canvas[300:556, 600:856] = small
    boxes = detect_faces(canvas, max_side=0)
    assert len(boxes) == 2
    assert boxes[0][2] * boxes[0][3] > boxes[1][2] * boxes[1][3]
    assert boxes[0][0] < 400 and boxes[1][0] > 600


def test_input_validation():
    with pytest.raises(TypeError, match="uint8"):
        detect_faces(np.zeros((50, 50, 3), np.float32))
    with pytest.raises(ValueError, match="RGB"):
        detect_faces(np.zeros((50, 50), np.uint8))
    with pytest.raises(TypeError, match="numpy array"):
        check_rgb_image([[1, 2, 3]])
    with pytest.raises(ValueError, match="readable"):
        decode_image(b"not an image")


def test_laplacian_variance_drops_with_blur():
    img = data.astronaut()
    box = detect_faces(img)[0]
    sharp = laplacian_variance(img, box)
    blurred = laplacian_variance(cv2.GaussianBlur(img, (0, 0), 4), box)
    assert sharp > 100 and blurred < 20
    # independent of resolution: the region is normalised to 128 px first
    half = cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)
    assert laplacian_variance(half) == pytest.approx(laplacian_variance(img), rel=0.5)


def test_crop_square_pads_at_border_and_resizes():
    img = np.arange(100 * 80 * 3, dtype=np.uint32).reshape(100, 80, 3).astype(np.uint8)
    c = crop_square(img, (0, 0, 20, 20), margin=0.5)
    assert c.shape == (40, 40, 3)
    np.testing.assert_array_equal(c[10, 10], img[0, 0])  # replicated border above/left of the image
    np.testing.assert_array_equal(c[20, 20], img[10, 10])
    assert resize_square(c, 16).shape == (16, 16, 3)
