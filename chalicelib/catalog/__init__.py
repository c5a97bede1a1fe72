"""The service catalog: the static categories and the admin-managed services.

``categories`` is static data other areas import to validate category codes (worker skills,
order filters); ``services`` holds the use cases over the service items. Plain Python over the
data layer in ``chalicelib.models``; nothing here imports Chalice.
"""
