"""The coordinators' inbox: inbound SMS Birge did not understand, opt-outs, unknown numbers."""
