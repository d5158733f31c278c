"""The Cozy contract: what an app is, as the stack defines it — its manifest and their
defaults, permissions, doctype policy, versions, names and addresses, the bundle it ships in,
and the words a tester reads before consenting. Pure: no storage, no HTTP, no containers.

The sandbox enforces it and the store checks submissions against it, with the same code, so
the two cannot disagree.
"""
