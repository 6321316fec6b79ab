"""From the `customer_features` mart to the float32 matrix DBSCAN clusters.

- selection: which columns take part (chosen from the data unless var
  cluster_features names them) and how each enters the distance;
- scaling: filling, transforming and standardising the chosen columns;
- source: the same, read from DuckDB in chunks, so no frame of every customer
  is ever held in Python.
"""
