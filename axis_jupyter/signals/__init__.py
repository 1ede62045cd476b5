"""Human signals: from long signal rows to cases, a discovered schema and a display config.

* :mod:`.rules` - the reference's rules for one row and one case, in Python;
* :mod:`.cases` - the cases table and schema, built in DuckDB when a signals dataset is
  loaded or synced;
* :mod:`.schema` - the schema as a table (``ds.signal_schema()``) and back;
* :mod:`.display` - the display config generated from the schema;
* :mod:`.settings` - ``signals_metrics.yaml``, the display config's overrides.

The analytics over the cases table are in :mod:`axis_jupyter.analytics.signals` and
:mod:`axis_jupyter.analytics.signal_kpis`.
"""
