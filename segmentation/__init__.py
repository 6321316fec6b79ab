"""Customer segmentation: the Python that `dbt build` and the report import."""
