"""The one outbound lifecycle, for every channel.

claim → pace → send once → record, with retry (one backoff), give up, give back, release and
a sweeper that settles in-flight messages by asking the provider. A channel is a provider
module behind `Channel` (`birge_workers.sms.channel`, `birge_workers.mail.channel`); what a
message needs to still be wanted is decided in `wanted`, once for all of them.
"""
