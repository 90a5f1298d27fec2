#!/usr/bin/python3
"""Builds the project's address test-vector files (tests/testdata/vectors/*.csv)
from the published vectors in ../shared/data/vectors, so that they can be reproduced.

Usage: scripts/build-test-vectors.py [--data DIR] [--out DIR] [--check]

The output is our own format (tests/testdata/README.md): '#' lines naming the
upstream repository, file and licence, a header row, one vector per line, no
quoting; a byte outside '!'..'~', and ',' '"' '\\', is written \\xHH. Re-running on the
same input gives byte-identical output. --check writes nothing: it exits 1 when
a file in --out differs from what the upstream data gives, and 77 (ctest SKIP)
when the upstream data is absent, unless the environment has CI=true, where
a comparison that cannot run is a failure.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = "scripts/build-test-vectors.py"


def escape(text):
    """Bytes (Latin-1 code points) as one comma-free, quote-free, space-free field."""
    out = []
    for ch in text:
        code = ord(ch)
        if code > 0xFF:
            sys.exit("vector text outside Latin-1: %r" % text)
        if 0x21 <= code <= 0x7E and ch not in ',"\\':
            out.append(ch)
        else:
            out.append("\\x%02x" % code)
    return "".join(out)


def prose(text):
    """A free-text column (a reason): spaces allowed, nothing that needs quoting."""
    if text is None:
        return ""
    if any(c in text for c in ',"\\\n\r'):
        sys.exit("free text needs quoting: %r" % text)
    return text


class VectorFile:
    def __init__(self, name, title, repository, upstream_file, licence, shared_file, columns, notes=()):
        self.name = name
        self.header = [
            title,
            "source: %s" % repository,
            "file: %s" % upstream_file,
            "licence: %s" % licence,
        ] + list(notes) + [
            "built by %s from ../shared/data/vectors/%s; edit the generator, not this file" % (GENERATOR, shared_file),
        ]
        self.columns = columns
        self.rows = []

    def add(self, **fields):
        unknown = set(fields) - set(self.columns)
        if unknown:
            sys.exit("%s: unknown columns %s" % (self.name, sorted(unknown)))
        self.rows.append([fields.get(c, "") for c in self.columns])

    def text(self):
        lines = ["# " + line for line in self.header]
        lines.append(",".join(self.columns))
        lines.extend(",".join(row) for row in self.rows)
        return "\n".join(lines) + "\n"


def load(data_dir, name):
    with open(os.path.join(data_dir, "vectors", name), encoding="utf-8") as f:
        return json.load(f)


def bech32(data_dir):
    source = load(data_dir, "bech32_bech32m_vectors.json")
    v = source["vectors"]
    out = VectorFile(
        "bech32.csv", "BIP-173 / BIP-350 reference vectors: bech32 and bech32m strings, segwit addresses",
        "https://github.com/sipa/bech32 (commit 7a7d7ab158db7078a333384e0e918c90dbc42917)",
        "ref/python/tests.py", "MIT", "bech32_bech32m_vectors.json",
        ["case", "text", "script_pubkey_hex", "hrp", "version", "length", "reason"],
        notes=["case: valid-bech32 | valid-bech32m | invalid-bech32 | invalid-bech32m (text must not decode as that",
               "encoding) | valid-address (text gives script_pubkey_hex) | invalid-address | invalid-address-enc (a",
               "segwit program of hrp/version/length zero bytes that must not encode)"])

    def string_of(entry):
        text = bytes.fromhex(entry["bytes_hex"]).decode("latin-1")
        if "string" in entry and entry["string"] != text:
            sys.exit("bech32: string and bytes_hex differ for %r" % entry["string"])
        return text

    for key, case in (("VALID_BECH32", "valid-bech32"), ("VALID_BECH32M", "valid-bech32m"),
                      ("INVALID_BECH32", "invalid-bech32"), ("INVALID_BECH32M", "invalid-bech32m")):
        for entry in v[key]:
            out.add(case=case, text=escape(string_of(entry)), reason=prose(entry["reason"]))
    for entry in v["VALID_ADDRESS"]:
        out.add(case="valid-address", text=escape(entry["address"]),
                script_pubkey_hex=entry["scriptPubKey_hex"].lower(), reason=prose(entry["reason"]))
    for entry in v["INVALID_ADDRESS"]:
        out.add(case="invalid-address", text=escape(string_of(entry)), reason=prose(entry["reason"]))
    for entry in v["INVALID_ADDRESS_ENC"]:
        hrp, version, length = entry["value"]
        out.add(case="invalid-address-enc", hrp=escape(hrp), version=str(version), length=str(length),
                reason=prose(entry["reason"]))
    return out


def base58(data_dir):
    source = load(data_dir, "bitcoin_core_base58_encode_decode.json")
    out = VectorFile(
        "base58.csv", "Bitcoin Core base58 encode/decode vectors: bytes and their base58 text",
        "https://github.com/bitcoin/bitcoin", "src/test/data/base58_encode_decode.json", "MIT",
        "bitcoin_core_base58_encode_decode.json", ["bytes_hex", "base58"])
    for bytes_hex, text in source:
        out.add(bytes_hex=bytes_hex.lower(), base58=escape(text))
    return out


def eip55(data_dir):
    source = load(data_dir, "eip55_vectors.json")
    out = VectorFile(
        "eip55.csv", "EIP-55 test cases: each address is EIP-55-correct as written (its own normal form)",
        "https://github.com/ethereum/ERCs (commit 26abfcfdeb2d541c52f725ff74f6d02ec607dd35); the four mixed-case "
        "cases also in https://github.com/ethereum/EIPs EIPS/eip-55.md", "ERCS/erc-55.md", "CC0-1.0",
        "eip55_vectors.json", ["case", "address"],
        notes=["case: all-caps | all-lower (checksums that happen to be single-case) | mixed-case"])
    for key, case in (("all_caps_valid", "all-caps"), ("all_lower_valid", "all-lower"),
                      ("normal_mixed_case_valid", "mixed-case")):
        for address in source[key]:
            out.add(case=case, address=escape(address))
    return out


def cashaddr(data_dir):
    source = load(data_dir, "cashaddr_vectors.json")
    out = VectorFile(
        "cashaddr.csv", "Bitcoin Cash cashaddr specification vectors",
        "https://github.com/bitcoincashorg/bitcoincash.org", "spec/cashaddr.md", "MIT", "cashaddr_vectors.json",
        ["case", "cashaddr", "legacy", "type", "payload_hex"],
        notes=["case: checksum-valid (the checksum of cashaddr passes) | legacy-pair (legacy and cashaddr are one",
               "address) | payload (cashaddr encodes type and payload_hex)"])
    for text in source["checksum_valid"]:
        out.add(case="checksum-valid", cashaddr=escape(text))
    for pair in source["legacy_to_cashaddr"]:
        out.add(case="legacy-pair", cashaddr=escape(pair["cashaddr"]), legacy=escape(pair["legacy"]))
    for entry in source["larger_test_vectors"]:
        payload = entry["payload_hex"].lower()
        if len(payload) != 2 * entry["payload_size"]:
            sys.exit("cashaddr: payload_size disagrees with payload_hex for %s" % entry["cashaddr"])
        out.add(case="payload", cashaddr=escape(entry["cashaddr"]), type=str(entry["type"]), payload_hex=payload)
    return out


def monero(data_dir):
    source = load(data_dir, "monero_base58_vectors.json")
    out = VectorFile(
        "monero_base58.csv", "Monero base58 vectors: 8-byte blocks, whole strings, and one mainnet address",
        "https://github.com/monero-project/monero", "tests/unit_tests/base58.cpp", "BSD-3-Clause",
        "monero_base58_vectors.json", ["case", "encoded", "hex"],
        notes=["case: encode-block | decode-block-valid | decode-block-invalid | encode | decode-valid |",
               "decode-invalid | mainnet-address (hex: its public spend and view keys)"])
    for key, case, hex_key in (("encode_block", "encode-block", "block_hex"),
                               ("decode_block_valid", "decode-block-valid", "block_hex"),
                               ("encode", "encode", "data_hex"), ("decode_valid", "decode-valid", "data_hex")):
        for entry in source[key]:
            out.add(case=case, encoded=escape(entry["encoded"]), hex=entry[hex_key].lower())
    for key, case in (("decode_block_invalid", "decode-block-invalid"), ("decode_invalid", "decode-invalid")):
        for text in source[key]:
            out.add(case=case, encoded=escape(text))
    address = source["mainnet_address"]
    out.add(case="mainnet-address", encoded=escape(address["address"]),
            hex=address["public_spend_and_view_keys_hex"].lower())
    return out


BUILDERS = [bech32, base58, eip55, cashaddr, monero]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(HERE, "..", "tests", "testdata", "vectors"))
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args()

    if not os.path.isdir(os.path.join(args.data, "vectors")):
        message = "upstream vectors not found in %s/vectors" % os.path.abspath(args.data)
        if os.environ.get("CI") == "true":
            print("FAIL: %s, and CI=true: the comparison must run" % message)
            return 1
        print("SKIP: %s (pass --data, or put the shared data in ../shared/data)" % message)
        return 77 if args.check else 1

    differing = []
    for build in BUILDERS:
        vectors = build(args.data)
        path = os.path.join(args.out, vectors.name)
        text = vectors.text()
        if args.check:
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                differing.append(vectors.name)
            print("%s: %d vectors, %s" % (vectors.name, len(vectors.rows),
                                          "matches upstream" if current == text else "DIFFERS from upstream"))
        else:
            os.makedirs(args.out, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            print("%s: %d vectors" % (path, len(vectors.rows)))
    if differing:
        print("run %s to rebuild: %s" % (GENERATOR, ", ".join(differing)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
