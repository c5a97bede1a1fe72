"""pynamodb items of the single ``main`` table, one module per area.

Key design and access patterns: docs/data-model.md. Items never leave the data layer: the API
answers with pydantic models built from them.
"""
