"""`birge bench`: measurements that print figures, a same-run baseline and the machine.

Benchmarks are not tests: nothing here asserts a speed. `fanout` measures invitations from the
API request to the SMS provider (a local fake of Twilio's Messages API).
"""
