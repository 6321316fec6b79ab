"""`make bench`: the pipeline against the pandas-notebook baseline and the DuckDB scan floor."""
