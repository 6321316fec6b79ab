{#
    Which sources know a customer, and why an id another source holds may not match.
#}

{% macro customer_sources() -%}
    {#-
        The raw sources a customer can be in, in the order source_matching reports
        them, each with its flag column in int_customers__spine.
    -#}
    {{- return({
        'transactions': 'has_transactions',
        'demographics': 'has_demographics',
        'credit_profiles': 'has_credit_profile',
    }) -}}
{%- endmacro %}


{% macro id_mismatch_causes() -%}
    {#-
        The ways two systems commonly write one customer id differently
        (source_matching's likely_cause), each with the step of var
        customer_id_normalization that undoes it (macro customer_id_normalizations
        writes the step's SQL) and what that step ignores, for publish_audit's message.
    -#}
    {{- return({
        'case': {'step': 'lower', 'ignored': 'letter case is ignored'},
        'whitespace': {'step': 'remove_whitespace', 'ignored': 'spaces are ignored'},
        'leading_zeros': {'step': 'strip_leading_zeros', 'ignored': 'leading zeros are ignored'},
    }) -}}
{%- endmacro %}
