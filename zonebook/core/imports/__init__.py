"""The generic import pipeline (xlsx/xls/csv → header mapping → preview → all-or-nothing write).

Kinds register in ``<app>/importers.py`` (see ``kinds``); ``pipeline.check``/``pipeline.run`` do the
work; the ``zonebook.imports`` app gives the upload/preview/confirm pages and jobs; ``manage.py import_data`` the command.
"""
