"""Exports of the ledger app, one module per topic (books and lists, write-off, carry-over, duty)."""
