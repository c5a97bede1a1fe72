"""The local development stack: AWS stand-ins, ``chalice local`` and the local event runner.

Nothing here is deployed and nothing here knows the business: it only creates what
``chalicelib.resources`` describes and plays the parts of Lambda's event sources.
"""
