"""The generic import pipeline (xlsx/xls/csv → header mapping → preview → all-or-nothing write).

Kinds register in ``<app>/importers.py`` (see ``kinds``); ``pipeline.check``/``pipeline.run`` do the
work; ``views`` give the upload/preview/confirm pages; ``manage.py import_data`` the command.
"""
