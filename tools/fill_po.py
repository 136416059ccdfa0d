"""Fill msgstr entries of a .po file from a Python dict file (developer tool).

Usage: python tools/fill_po.py path/to/django.po translations.py
where translations.py defines T = {"English msgid": "中文", ...}.
Prints the msgids that are still untranslated.
"""

import sys

import polib


def main(po_path, tr_path):
    ns: dict = {}
    exec(open(tr_path, encoding="utf-8").read(), ns)
    table = ns["T"]
    po = polib.pofile(po_path)
    for entry in po:
        if entry.msgid in table and not entry.msgid_plural:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    for entry in po.untranslated_entries():
        print("UNTRANSLATED:", entry.msgid)


if __name__ == "__main__":
    main(*sys.argv[1:])
