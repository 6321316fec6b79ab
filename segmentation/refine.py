"""From DBSCAN's clusters to a number of segments a marketer can use.

DBSCAN finds dense regions; real customer data often has one dense mass plus
a scatter of tiny dense pockets (customers who share a discrete value, like
"bought exactly twice"). Neither is a set of segments to act on. This second,
deterministic step turns DBSCAN's labels into `min_segments` to
`max_segments` segments, each holding at least `min_share` of the customers:

1. Where no eps kept DBSCAN's noise under `max_noise_share`, the noise
   customers nearest a segment join it until the limit holds. Then clusters
   below the minimum share are merged: each of their customers joins the
   segment of its nearest customer in a large enough cluster.
2. While there are too few segments, or the largest holds more than
   `max_largest_share`, the largest segment that can be split is split (and
   so is a large segment whose centre is near the average customer on every
   feature, which tells marketing nothing):
   first by DBSCAN again inside it at a finer eps (one level down the density
   hierarchy, which is what HDBSCAN's tree does); where the segment is one
   dense mass with no inner density structure, by a 2-means bisection, which
   cuts the mass along its widest direction. Both halves must hold the
   minimum share, or the segment is left whole.
3. Past `max_segments`, the smallest segment is merged into its nearest one.

Noise stays noise: it is profiled and named downstream like any segment.
Every merge and split is recorded in the order it happened, and each
customer carries the step its segment came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree
from sklearn.cluster import KMeans

from segmentation.clustering.distinct import dbscan_labels

NOISE = -1
ORIGIN_DBSCAN = 0
ORIGIN_DBSCAN_SPLIT = 1
ORIGIN_BISECTION = 2
ORIGIN_NAMES: dict[int, str] = {
    ORIGIN_DBSCAN: "dbscan",
    ORIGIN_DBSCAN_SPLIT: "dbscan_split",
    ORIGIN_BISECTION: "bisection",
}
# eps factors tried, coarsest first, when DBSCAN looks for structure inside a segment.
SPLIT_EPS_FACTORS: tuple[float, ...] = (0.85, 0.7, 0.55, 0.4)
# A finer-eps DBSCAN split must account for this share of the segment in its
# large sub-clusters; otherwise it peeled a sparse rim, not found two masses.
MIN_SPLIT_COVERAGE = 0.5
# A segment whose centre lies within this many standard deviations of the average
# customer on every feature says nothing a marketer can use ("typical customers");
# holding more than FEATURELESS_MAX_SHARE of the customers, it is split when it can be.
FEATURELESS_Z = 0.5
FEATURELESS_MAX_SHARE = 0.10


@dataclass(frozen=True)
class SegmentLimits:
    """How many segments, how small and how large (each a project var, segment_* and dbscan_*)."""

    min_share: float
    min_segments: int
    max_segments: int
    max_largest_share: float
    max_noise_share: float


@dataclass
class Refinement:
    """Labels after merging and splitting, each row's origin, and the steps taken."""

    labels: np.ndarray
    origins: np.ndarray
    steps: list[dict] = field(default_factory=list)


def min_size(rows: int, min_share: float) -> int:
    """The smallest segment allowed on `rows` customers (at least 2)."""
    return max(2, int(np.ceil(min_share * rows)))


def cluster_sizes(labels: np.ndarray) -> dict[int, int]:
    """Customers per cluster, noise excluded, in label order."""
    ids, counts = np.unique(labels[labels != NOISE], return_counts=True)
    return {int(i): int(c) for i, c in zip(ids, counts, strict=True)}


def reassign_to_nearest(
    matrix: np.ndarray, labels: np.ndarray, movers: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Give each row in `movers` the label of its nearest row in `targets` (no distance bound).

    Ties go to the target listed first, so the result does not depend on the
    tree's traversal order.
    """
    out = labels.copy()
    if movers.size == 0 or targets.size == 0:
        return out
    tree = cKDTree(matrix[targets])
    _, nearest = tree.query(matrix[movers], k=1, workers=-1)
    out[movers] = labels[targets[nearest]]
    return out


def merge_small(
    matrix: np.ndarray, labels: np.ndarray, minimum: int, steps: list[dict]
) -> np.ndarray:
    """Merge every cluster below `minimum` customers into its nearest large cluster.

    With no cluster large enough, every clustered customer is put in one
    cluster, which the split step then divides.
    """
    sizes = cluster_sizes(labels)
    small = [c for c, size in sizes.items() if size < minimum]
    if not small:
        return labels
    large = [c for c, size in sizes.items() if size >= minimum]
    if not large:
        merged = np.where(labels == NOISE, NOISE, 0)
        steps.append(
            {
                "step": "merge_all",
                "clusters": len(small),
                "customers": int((labels != NOISE).sum()),
                "reason": "no cluster held the minimum share",
            }
        )
        return merged
    movers = np.flatnonzero(np.isin(labels, small))
    targets = np.flatnonzero(np.isin(labels, large))
    out = reassign_to_nearest(matrix, labels, movers, targets)
    steps.append(
        {
            "step": "merge_small",
            "clusters": len(small),
            "customers": int(movers.size),
            "reason": f"below the minimum of {minimum} customers",
        }
    )
    return out


def absorb_excess_noise(
    matrix: np.ndarray,
    labels: np.ndarray,
    max_noise_share: float,
    steps: list[dict],
    targets: np.ndarray | None = None,
) -> np.ndarray:
    """Bring noise down to `max_noise_share`: the noise customers nearest a segment join it.

    DBSCAN's noise is "Outliers", a group no campaign can target as one. When
    no eps kept it under the limit, the noise customers closest to a
    clustered customer (those just outside eps) join that customer's
    segment, nearest first, until the limit holds; the farthest stay noise.
    Ties keep row order, so the result is deterministic. `targets` limits
    the customers noise may join (on the sampled path: the fitted sample).
    """
    noise = np.flatnonzero(labels == NOISE)
    excess = noise.size - int(np.floor(max_noise_share * len(labels)))
    clustered = np.flatnonzero(labels != NOISE) if targets is None else targets
    if excess <= 0 or clustered.size == 0:
        return labels
    distances, nearest = cKDTree(matrix[clustered]).query(matrix[noise], k=1, workers=-1)
    movers = np.argsort(distances, kind="stable")[:excess]
    out = labels.copy()
    out[noise[movers]] = labels[clustered[nearest[movers]]]
    steps.append(
        {
            "step": "absorb_noise",
            "customers": int(excess),
            "reason": f"noise above the maximum share of {max_noise_share:.0%}",
        }
    )
    return out


def featureless(matrix: np.ndarray, labels: np.ndarray, cluster: int) -> bool:
    """True when the segment's centre is near the average customer on every feature."""
    centre = matrix[labels == cluster].mean(axis=0)
    return bool(np.all(np.abs(centre) < FEATURELESS_Z))


def split_by_density(
    points: np.ndarray, eps: float, min_samples: int, minimum: int, eps_floor: float = 0.0
) -> np.ndarray | None:
    """Sub-labels from DBSCAN at a finer eps inside one segment, or None if it finds no split.

    The coarsest finer eps that yields two or more sub-clusters of at least
    `minimum` customers, together covering MIN_SPLIT_COVERAGE of the segment,
    wins; its leftover customers join their nearest large sub-cluster, so the
    split moves no one to noise. No eps below `eps_floor` is tried: it would
    cut a ranked column between adjacent values.
    """
    for factor in SPLIT_EPS_FACTORS:
        if eps * factor < eps_floor:
            break
        sub, _ = dbscan_labels(points, eps * factor, min_samples)
        sizes = cluster_sizes(sub)
        large = [c for c, size in sizes.items() if size >= minimum]
        covered = sum(sizes[c] for c in large)
        if len(large) >= 2 and covered >= MIN_SPLIT_COVERAGE * len(points):
            keep = np.isin(sub, large)
            sub = np.where(keep, sub, NOISE)
            sub = reassign_to_nearest(points, sub, np.flatnonzero(~keep), np.flatnonzero(keep))
            return np.unique(sub, return_inverse=True)[1]
    return None


def split_by_bisection(points: np.ndarray, minimum: int, random_state: int) -> np.ndarray | None:
    """Two halves from 2-means, or None when either half would be below `minimum`.

    k-means with a fixed random_state and several starts is deterministic for
    the same rows; labels are ordered so the half holding the first row is 0.
    """
    if len(points) < 2 * minimum or np.ptp(points, axis=0).max() == 0:
        return None
    sub = KMeans(n_clusters=2, n_init=4, random_state=random_state).fit_predict(points)
    if min(np.bincount(sub, minlength=2)) < minimum:
        return None
    return sub if sub[0] == 0 else 1 - sub


def split_first_splittable(
    matrix: np.ndarray,
    labels: np.ndarray,
    origins: np.ndarray,
    *,
    candidates: list[int],
    eps: float,
    min_samples: int,
    minimum: int,
    unsplittable: set[int],
    random_state: int,
    steps: list[dict],
    eps_floor: float = 0.0,
) -> bool:
    """Split the first of `candidates` that can be split, in place; False when none can."""
    for cluster in candidates:
        if cluster in unsplittable:
            continue
        rows = np.flatnonzero(labels == cluster)
        points = matrix[rows]
        sub = split_by_density(points, eps, min_samples, minimum, eps_floor)
        origin = ORIGIN_DBSCAN_SPLIT
        if sub is None:
            sub = split_by_bisection(points, minimum, random_state)
            origin = ORIGIN_BISECTION
        if sub is None:
            unsplittable.add(cluster)
            continue
        next_label = int(labels.max()) + 1
        new_labels = np.where(sub == 0, cluster, next_label + sub - 1)
        labels[rows] = new_labels
        origins[rows] = origin
        steps.append(
            {
                "step": ORIGIN_NAMES[origin],
                "customers": int(rows.size),
                "into": [int(c) for c in np.bincount(sub)],
            }
        )
        return True
    return False


def merge_smallest_into_nearest(
    matrix: np.ndarray, labels: np.ndarray, steps: list[dict]
) -> np.ndarray:
    """One segment fewer: the smallest joins, customer by customer, its nearest segments."""
    sizes = cluster_sizes(labels)
    smallest = min(sizes, key=lambda c: (sizes[c], -c))
    movers = np.flatnonzero(labels == smallest)
    targets = np.flatnonzero((labels != NOISE) & (labels != smallest))
    steps.append(
        {"step": "merge_over_max", "customers": int(movers.size), "reason": "too many segments"}
    )
    return reassign_to_nearest(matrix, labels, movers, targets)


def refine_segments(
    matrix: np.ndarray,
    labels: np.ndarray,
    *,
    eps: float,
    min_samples: int,
    limits: SegmentLimits,
    random_state: int,
    eps_floor: float = 0.0,
) -> Refinement:
    """Merge, split and cap DBSCAN's clusters into usable segments (see the module docstring).

    `eps_floor` bounds the finer eps of a density split from below (see `split_by_density`).
    """
    n = len(labels)
    steps: list[dict] = []
    minimum = min_size(n, limits.min_share)
    labels = absorb_excess_noise(matrix, labels.astype(np.int64), limits.max_noise_share, steps)
    labels = merge_small(matrix, labels, minimum, steps)
    origins = np.full(n, ORIGIN_DBSCAN, dtype=np.int8)
    unsplittable: set[int] = set()
    while True:
        sizes = cluster_sizes(labels)
        if not sizes or len(sizes) >= limits.max_segments:
            break
        largest_share = max(sizes.values()) / n
        vague = [
            c
            for c, size in sizes.items()
            if size > FEATURELESS_MAX_SHARE * n
            and c not in unsplittable
            and featureless(matrix, labels, c)
        ]
        by_size = sorted(sizes, key=lambda c: (-sizes[c], c))
        if len(sizes) < limits.min_segments or largest_share > limits.max_largest_share:
            candidates = by_size
        elif vague:
            candidates = [c for c in by_size if c in vague]
        else:
            break
        if not split_first_splittable(
            matrix,
            labels,
            origins,
            candidates=candidates,
            eps=eps,
            min_samples=min_samples,
            minimum=minimum,
            unsplittable=unsplittable,
            random_state=random_state,
            steps=steps,
            eps_floor=eps_floor,
        ):
            break
    while len(cluster_sizes(labels)) > limits.max_segments:
        labels = merge_smallest_into_nearest(matrix, labels, steps)
    return Refinement(labels, origins, steps)
