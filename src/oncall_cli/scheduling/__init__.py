"""The functional core of scheduling: rosters, rules, plans and timelines as plain data.

No I/O, no clock, no global random: `today`/`now` and a `random.Random` are arguments. See
docs/scheduling.md for the rule ids (R1..R10) cited throughout.
"""
