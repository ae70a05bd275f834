"""Parses a /metrics scrape with Prometheus' own Python parser and prints its samples as JSON.

Usage: parse_metrics.py FILE. Prints {"NAME": {"type": TYPE, "samples": [[SAMPLE, LABELS, VALUE],
...]}} on stdout. Exits 1, naming the line, when the parser refuses the text, or when a family
lacks its HELP or TYPE line, which the parser alone would let through.
"""
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    declared: dict[str, set[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ", line)
        if match:
            declared.setdefault(match.group(2), set()).add(match.group(1))
        elif line.startswith("#") or not line.strip():
            print(f"{path}:{number}: not a HELP or TYPE comment: {line!r}", file=sys.stderr)
            return 1
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as error:
        print(f"{path}: the Prometheus parser refused it: {error}", file=sys.stderr)
        return 1
    out = {}
    for family in families:
        # The parser names a counter's family without its "_total".
        names = [family.name, family.name + "_total"]
        if not any(declared.get(n, set()) == {"HELP", "TYPE"} for n in names):
            print(f"{path}: {family.name} lacks a HELP or TYPE line", file=sys.stderr)
            return 1
        out[family.name] = {
            "type": family.type,
            "samples": [[s.name, s.labels, s.value] for s in family.samples],
        }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
