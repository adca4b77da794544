"""Fixtures for the sequence-data tests (tests/sequence_media.rs).

Writes, under tests/fixtures/sequence/:
  mat_v5_plain.mat, mat_v5_zlib.mat  MATLAB v5 files written by scipy.io.savemat, without and with
                                     zlib compression, holding `data` (3 x 4 double), `UALL` (6 x 5
                                     double), `ints` (2 x 3 int16) and a string `note`;
  mat_v5_expected_*.npy              the arrays scipy.io.loadmat reads back from them;
  svd_matrix.npy, svd_singular_values.npy
                                     a 40 x 15 matrix and numpy.linalg.svd's singular values;
  flower_yuv_stats.npy               (only when PyAV is installed and ../shared/data/flower.mp4 exists)
                                     per-frame mean of the decoded Y, U, V planes, [175, 3];
  flower_rgb_small.npy               frames 0, 87, 174 converted to RGB in [0, 1] with the BT.709
                                     limited-range matrix and nearest chroma upsampling, then box-
                                     downscaled by 20: [3, 27, 48, 3].

Run:  tools/.venv/bin/python tools/make_sequence_fixtures.py
(the video part needs `pip install av` in the interpreter used; it is skipped otherwise).
"""
import os
import sys

import numpy as np
import scipy.io

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "sequence")
VIDEO = os.path.join(HERE, "..", "..", "shared", "data", "flower.mp4")


def mat_fixtures():
    rng = np.random.RandomState(7)
    arrays = {
        "data": np.arange(12, dtype=np.float64).reshape(3, 4) * 0.5 - 1.25,
        "UALL": rng.standard_normal((6, 5)),
        "ints": np.array([[1, -2, 3], [400, -500, 600]], dtype=np.int16),
        "note": "not numeric",
    }
    for name, compress in (("plain", False), ("zlib", True)):
        path = os.path.join(OUT, f"mat_v5_{name}.mat")
        scipy.io.savemat(path, arrays, do_compression=compress, format="5")
        back = scipy.io.loadmat(path)
        for key in ("data", "UALL", "ints"):
            np.save(os.path.join(OUT, f"mat_v5_expected_{key}.npy"), back[key].astype(np.float64))
    print("mat fixtures written")


def svd_fixtures():
    rng = np.random.RandomState(11)
    a = rng.standard_normal((40, 15)) * np.linspace(3.0, 0.1, 15)
    np.save(os.path.join(OUT, "svd_matrix.npy"), a)
    np.save(os.path.join(OUT, "svd_singular_values.npy"), np.linalg.svd(a, compute_uv=False))
    print("svd fixtures written")


def yuv_to_rgb_bt709(y, u, v):
    """BT.709 limited range, nearest chroma upsampling (the convention of hits::sequence::video)."""
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)[: y.shape[0], : y.shape[1]]
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)[: y.shape[0], : y.shape[1]]
    yy = (y.astype(np.float64) - 16.0) / 219.0
    cb = (u.astype(np.float64) - 128.0) / 224.0
    cr = (v.astype(np.float64) - 128.0) / 224.0
    kr, kb = 0.2126, 0.0722
    kg = 1.0 - kr - kb
    r = yy + 2.0 * (1.0 - kr) * cr
    g = yy - 2.0 * kb * (1.0 - kb) / kg * cb - 2.0 * kr * (1.0 - kr) / kg * cr
    b = yy + 2.0 * (1.0 - kb) * cb
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def video_fixtures():
    try:
        import av
    except ImportError:
        print("PyAV not installed: video fixtures skipped")
        return
    if not os.path.exists(VIDEO):
        print(f"{VIDEO} missing: video fixtures skipped")
        return
    stats, small = [], []
    with av.open(VIDEO) as container:
        for i, frame in enumerate(container.decode(video=0)):
            planes = frame.to_ndarray(format="yuv420p")
            h, w = frame.height, frame.width
            y = planes[:h]
            u = planes[h : h + h // 4].reshape(h // 2, w // 2)
            v = planes[h + h // 4 :].reshape(h // 2, w // 2)
            stats.append([y.mean(), u.mean(), v.mean()])
            if i in (0, 87, 174):
                rgb = yuv_to_rgb_bt709(y, u, v)
                f = 20
                rgb = rgb[: h // f * f, : w // f * f].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3))
                small.append(rgb)
    np.save(os.path.join(OUT, "flower_yuv_stats.npy"), np.array(stats))
    np.save(os.path.join(OUT, "flower_rgb_small.npy"), np.array(small))
    print(f"video fixtures written ({len(stats)} frames)")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mat_fixtures()
    svd_fixtures()
    video_fixtures()
    sys.exit(0)
