"""Running the bot: the HTTP/Socket Mode server, the scheduled reindex and the doctor checks."""
