"""`birge bench`: measurements that print figures, a same-run baseline and the machine.

Benchmarks are not tests: nothing here asserts a speed. One module per benchmark (`fanout`,
`reports`, `webhooks`, `imports`, `console`), each a row of the table in `birge_cli.main`.
"""


class BenchError(RuntimeError):
    """A benchmark that could not run or finish; the message says why, with no personal data."""
