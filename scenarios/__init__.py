"""Scenarios: the TOML scenario format, its validated frozen model, the built-in catalogue.

- `scenarios.model`: `Scenario`, `LoadProfile`, `ScenarioPhase`, `Slo` and the SLO metrics.
- `scenarios.loader`: `load_scenario(name_or_path)`, `list_builtins()`, `validate_file(path)`.
- `scenarios.schema`: `scenario_json_schema()`, a JSON Schema of the file format for editors.
- `scenarios/catalogue/*.toml`: the built-in scenarios. The format is in docs/scenarios.md.

This package is the only one allowed to import locust, and only its locustfile does:
locust patches the whole process with gevent on import, so the model, loader and schema
stay free of it and are safe to import from the CLI, the reports and the simulator.
"""
