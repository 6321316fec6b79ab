"""Raw files to the raw data contract (docs/raw-data-contract.md), for trying the project.

Tooling, not product: `dbt build` never imports it. `generate` writes planted,
messy sample data; `converters` turns real public data sets into the contract.
"""
