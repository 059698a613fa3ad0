"""The Slack listeners, one module per kind; each registers its own on the Bolt `App` (`register`)."""
