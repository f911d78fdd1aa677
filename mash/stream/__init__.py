"""The Faust application: agents, tables and topics (an adapter around the domain)."""
