"""cxsync: Notion VoC → grouped Jira improvement issues, and the loop closed back to Notion."""

__version__ = "0.1.0"
