"""How far each segment can be trusted: bootstrap stability, clusterboot style.

Hennig's clusterboot (R package fpc) re-clusters resamples of the data and
asks, for every original cluster, how well some cluster of the resample
recovers it: the Jaccard similarity of the two memberships over the
resampled customers, averaged over the resamples. 0.75 and above is usually
read as a stable cluster, 0.6 or less as one that should not be taken at
face value. Resampling here is subsetting (a share of the customers without
replacement, one of clusterboot's schemes): a bootstrap's duplicate rows
would make DBSCAN's density counts lie.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NOISE = -1


def best_jaccard(reference: np.ndarray, resampled: np.ndarray) -> dict[int, float]:
    """For each reference label, the best Jaccard similarity with any resampled label.

    Both arrays label the same rows. Noise is compared with noise only: a
    segment "recovered" as noise has not been recovered.
    """
    out: dict[int, float] = {}
    for label in np.unique(reference):
        members = reference == label
        candidates = [NOISE] if label == NOISE else np.unique(resampled[members])
        best = 0.0
        for other in candidates:
            if other == NOISE and label != NOISE:
                continue
            theirs = resampled == other
            union = np.count_nonzero(members | theirs)
            if union:
                best = max(best, np.count_nonzero(members & theirs) / union)
        out[int(label)] = best
    return out


def subset_stability(
    matrix: np.ndarray,
    labels: np.ndarray,
    cluster: Callable[[np.ndarray], np.ndarray],
    *,
    resamples: int,
    fraction: float,
    random_state: int,
) -> dict[int, float]:
    """Mean best Jaccard per label of `labels` over `resamples` subsets of the rows.

    `cluster` is the whole segmentation procedure applied to a matrix (it
    must scale its own density parameters to the rows it gets). Subsets are
    drawn with a fixed generator, so the figures are reproducible.
    """
    n = len(labels)
    if resamples <= 0 or n < 4:
        return {}
    rng = np.random.default_rng(random_state)
    size = max(2, round(fraction * n))
    scores: dict[int, list[float]] = {int(label): [] for label in np.unique(labels)}
    for _ in range(resamples):
        rows = np.sort(rng.choice(n, size=size, replace=False))
        # A label absent from a subset cannot be judged by it: only subsets that hold it count.
        for label, score in best_jaccard(labels[rows], cluster(matrix[rows])).items():
            scores[label].append(score)
    return {label: float(np.mean(values)) for label, values in scores.items() if values}
