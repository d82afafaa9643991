"""Each provider's own words, in one module per provider.

The API (webhook paths, signatures) and the workers (codes, limits, statuses) both need them,
so they live in the shared package; nothing else spells a provider's codes or paths.
"""
