"""Platform settings an admin edits (``GET|PUT /v1/admin/settings``): rules, versions, cached reads.

``schema`` validates them, ``store`` keeps every version, ``provider`` reads the current one
through Powertools Parameters (cached), ``current`` is what the rest of the code calls.
"""
