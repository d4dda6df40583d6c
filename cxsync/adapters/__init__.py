"""Edges of the system: Notion and Jira through their real client libraries."""
