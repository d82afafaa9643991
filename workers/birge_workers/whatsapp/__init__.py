"""WhatsApp through Twilio as a channel of the one outbound pipeline."""
