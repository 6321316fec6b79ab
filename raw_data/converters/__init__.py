"""Converters from real, public data sets shipped in packages to the raw data contract.

Each module reads one data set where its package ships it, and maps what the data has,
and only that, to the contract's three tables (docs/raw-data-contract.md). Every module
has the same functions: `load`, `to_raw_contract`, `convert`, `customer_ids` and
`keep_customers`; `python -m raw_data.converters NAME --out DIR` runs one.
"""

from raw_data.converters import (
    arasel_orders,
    completejourney,
    islr_caravan,
    islr_credit,
    modeldata_credit,
    uci_taiwan_credit,
)

CONVERTERS = {
    "completejourney": completejourney,
    "uci_taiwan_credit": uci_taiwan_credit,
    "islr_credit": islr_credit,
    "arasel_orders": arasel_orders,
    "islr_caravan": islr_caravan,
    "modeldata_credit": modeldata_credit,
}
