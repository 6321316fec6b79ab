"""Customer segmentation: the project's Python tools (data generator, clustering, report)."""
