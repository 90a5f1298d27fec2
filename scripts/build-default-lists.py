#!/usr/bin/python3
"""Builds the project's default list files (lists/*.csv, format "listing-csv")
from the public facts in /work/shared/data, so that they can be reproduced.

Usage: scripts/build-default-lists.py [--data DIR] [--out DIR]

The output is our own format (see lists/README.md); the upstream files are read,
never copied. Re-running on the same input gives byte-identical output.
"""
import argparse
import csv
import io
import os
import sys

OFAC_INPUT = "ofac/sdn-digital-currency-addresses-2026-08-20.csv"
OFAC_OUTPUT = "ofac-sdn-digital-currency-2026-08-20.csv"
OFAC_PUBLISHED = "2026-08-20"
OFAC_SOURCE = "OFAC SDN list, Digital Currency Address, published 2026-08-20"

FBI_INPUTS = [
    "dprk/fbi_PSA250226_bybit_tradertraitor_eth.csv",
    "dprk/fbi_2023-08-22_dprk_btc.csv",
    "dprk/fbi_2023-01-23_harmony_lazarus_btc.csv",
]
FBI_OUTPUT = "fbi-dprk-attributions.csv"

HEADER = ["address", "asset", "list_id", "list_kind", "entity_name", "entity_id",
          "programs", "source", "published"]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_listing_csv(path, comments, rows):
    out = io.StringIO()
    for line in comments:
        out.write(("# " + line).rstrip() + "\n")
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row[c] for c in HEADER])
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())


def build_ofac(data_dir, out_dir):
    entries = read_csv(os.path.join(data_dir, OFAC_INPUT))
    rows, left_out = [], []
    for e in entries:
        if not e["address"]:
            # The original letter case is unknown; a base58 address served in a
            # guessed case would match the wrong string, so it is not shipped.
            if not e["case_status"].startswith("unknown-case"):
                sys.exit("entry without address but case_status=%s" % e["case_status"])
            left_out.append(e)
            continue
        programs = [p.strip() for p in e["programs"].split(",") if p.strip()]
        rows.append({
            "address": e["address"].strip(),
            "asset": e["asset"],
            "list_id": "OFAC-SDN",
            "list_kind": "sanctions",
            "entity_name": e["entity"],
            "entity_id": e["sdn_uid"],
            "programs": ";".join(programs),
            "source": OFAC_SOURCE,
            "published": OFAC_PUBLISHED,
        })
    seen, repeated = set(), []
    for r in rows:
        key = (r["address"], r["asset"], r["entity_id"])
        if key in seen:
            repeated.append(key)
        seen.add(key)
    comments = [
        "listing-csv (see README.md). OFAC SDN list: every \"Digital Currency Address - <asset>\" entry,",
        "published %s: %d entries in the source, %d rows here, one per entry" % (OFAC_PUBLISHED, len(entries), len(rows)),
        "(an address under several asset labels or several SDN entities is several rows).",
        "Built by scripts/build-default-lists.py from %s." % OFAC_INPUT,
        "The 64-hex string OFAC lists as XMR for uid 29585 is not an address; it is shipped and matched exactly.",
    ]
    for key in repeated:
        comments.append("OFAC lists %s (%s, uid %s) twice on the same entity; both entries are kept." % key)
    comments.append("Left out: %d entries whose original letter case is unknown (the aggregator that carried" % len(left_out))
    comments.append("them lowercased them and no checksum recovers the case); a base58 address is never served in a")
    comments.append("guessed case. lowercase form, asset, uid, entity, reason:")
    for e in left_out:
        comments.append("  %s, %s, %s, %s, %s" % (e["address_lowercase"], e["asset"], e["sdn_uid"],
                                                 e["entity"], e["case_status"]))
    write_listing_csv(os.path.join(out_dir, OFAC_OUTPUT), comments, rows)
    return len(rows), left_out


def build_fbi(data_dir, out_dir):
    rows, counts = [], []
    for name in FBI_INPUTS:
        entries = read_csv(os.path.join(data_dir, name))
        counts.append((name, len(entries), entries[0]["source"], entries[0]["published"]))
        for e in entries:
            rows.append({
                "address": e["address"].strip(),
                "asset": e["chain"],
                "list_id": "FBI-DPRK",
                "list_kind": "attribution",
                # The FBI's own attribution text: the actor and the theft it laundered.
                "entity_name": e["attribution"],
                "entity_id": "",
                "programs": "",
                "source": e["source"],
                "published": e["published"],
            })
    comments = [
        "listing-csv (see README.md). Addresses the FBI publicly attributed to North Korea (DPRK);",
        "attributed, not OFAC-sanctioned. %d rows. Built by scripts/build-default-lists.py from:" % len(rows),
    ]
    for name, n, source, published in counts:
        comments.append("  %s: %d addresses, %s, %s" % (name, n, published, source))
    comments.append("Nothing was left out.")
    write_listing_csv(os.path.join(out_dir, FBI_OUTPUT), comments, rows)
    return len(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(here, "..", "lists"))
    args = parser.parse_args()
    ofac_rows, left_out = build_ofac(args.data, args.out)
    fbi_rows = build_fbi(args.data, args.out)
    print("%s: %d rows (%d unknown-case entries left out)" % (OFAC_OUTPUT, ofac_rows, len(left_out)))
    print("%s: %d rows" % (FBI_OUTPUT, fbi_rows))


if __name__ == "__main__":
    main()
