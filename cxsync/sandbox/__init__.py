"""Stateful loopback sandboxes that speak the Notion and Jira REST wire formats."""
