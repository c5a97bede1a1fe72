"""Accounts: identities, codes, passwords, sessions and tokens, profiles, addresses, inbox.

Plain Python over the data layer in ``chalicelib.models``; nothing here imports Chalice.
"""
