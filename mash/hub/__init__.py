"""Hub staff tools: queues, SLA tracking, the web board."""
