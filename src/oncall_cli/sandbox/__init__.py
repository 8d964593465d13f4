"""The sandbox: an in-process emulator of Opsgenie, Slack and Statuspage (`oncall --sandbox`, `make demo`,
the end-to-end tests).

Import-light on purpose: use `oncall_cli.sandbox.emulator.Emulator` (and `.server.serve`) where needed.
"""
