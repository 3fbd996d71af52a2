"""Live probes: find frameworks in interpreters, run the probe programs of ``probes/`` as
isolated subprocesses, validate and cache what they print."""
