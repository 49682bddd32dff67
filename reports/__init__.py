"""Run results: the report.json model built by pure functions, its renderers and the gate."""
