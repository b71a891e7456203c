"""Publication: charts, narratives, map, open-data exports, static site."""
