"""Default region groups of China's provinces (domain spec §2.1 [G]): 东部, 中部, 西部, 东北.

Keyed by the first two digits of the GB/T 2260 province code.  Evaluation schemes map these into
their own groups; stats ranks use them as the "region" peer group.
"""

EAST = ("11", "12", "13", "31", "32", "33", "35", "37", "44", "46")
CENTRAL = ("14", "34", "36", "41", "42", "43")
WEST = ("15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
NORTHEAST = ("21", "22", "23")


def region_of(province_code: str) -> str:
    p = (province_code or "")[:2]
    for name, codes in (("east", EAST), ("central", CENTRAL), ("west", WEST), ("northeast", NORTHEAST)):
        if p in codes:
            return name
    return ""
