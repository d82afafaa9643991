"""The coordinator console: HTML pages for coordinators, viewers and administrators.

It is a client of the API's service functions, mounted into the same ASGI application
(`birge_console.app`); the API never imports it.
"""
