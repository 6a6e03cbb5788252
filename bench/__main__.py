"""python -m bench NAME [options]: run one benchmark."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "import": "bench.imports",  # `import` is a keyword, so the module is imports.py
    "demo": "bench.demo",
    "anomalies": "bench.anomalies_eval",
    "commerce": "bench.commerce",
    "web": "bench.web",
    "baskets": "bench.baskets",
    "probes": "bench.probes",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: python -m bench {{{'|'.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[argv[0]])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
