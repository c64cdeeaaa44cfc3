"""The vectorised MinHash equals datasketch's, and the banding finds near duplicates."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from task_bank.minhash import band_keys, optimal_banding, shingle_hashes, signatures, similarity

TEXTS = ["What is the capital of France? Answer in one word.", "x", "???", "two words",
         "alpha beta gamma delta " * 40]


def test_batch_signatures_equal_datasketch_minhash_of_the_same_shingles():
    batch = signatures(TEXTS, 64)
    for text, row in zip(TEXTS, batch):
        reference = MinHash(num_perm=64, seed=1, scheme="affine32", hashfunc=lambda v: v)
        reference.update_batch([int(h) for h in shingle_hashes(text)])
        assert np.array_equal(reference.hashvalues.astype(np.uint32), row)


def test_equal_texts_have_equal_signatures_and_band_keys():
    banding = optimal_banding(0.85, 64)
    a, b = signatures([TEXTS[0], TEXTS[0].upper()], 64)
    assert similarity(a.tobytes(), b.tobytes()) == 1.0
    assert band_keys(a, banding) == band_keys(b, banding)


def test_the_default_banding_favours_recall_at_the_threshold():
    banding = optimal_banding(0.85, 64)
    recall_at_threshold = 1 - (1 - 0.85 ** banding.rows) ** banding.bands
    assert banding.bands * banding.rows <= 64 and recall_at_threshold > 0.9
