"""The Slack surface: the Bolt app, access rules, Block Kit formatting, threads, feedback, manifest."""
