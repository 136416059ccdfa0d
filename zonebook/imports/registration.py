from zonebook.core.modules import AppModule

# The import pages at /imports/ (upload, preview, confirm, background jobs).
MODULE = AppModule(app="zonebook.imports", url_prefix="imports")
