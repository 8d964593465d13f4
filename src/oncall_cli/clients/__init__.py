"""Thin typed clients for Opsgenie, Statuspage and Slack over an injected httpx.Client."""
