"""DBSCAN over the customer features: parameter choice, exact and sampled fits, segments.

The Python model `customer_clusters_dbscan` is a thin `model()` over
`run.cluster_relation`; everything here is a plain function pytest can call.

- config: the vars the clustering reads, parsed once into `ClusteringConfig`;
- sampling: which rows each step sees, and min_samples carried between row counts;
- search: eps and min_samples from the k-distance curve and a bounded search;
- fit: DBSCAN itself (exact, or labels from a shared neighbourhood graph);
- assign: customers outside the fitted sample join their nearest core point;
- quality: cluster count, noise share, largest share and silhouette;
- output: the per-customer frame, cluster numbering, projection, diagnostics JSON;
- run: the steps in order, timed.

Up to `max_exact_rows` customers exact DBSCAN runs on all of them; above,
on a deterministic sample, and the rest join the cluster of their nearest
core point within eps (segmentation.clustering.assign).
"""
