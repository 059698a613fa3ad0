"""Reading a PRD: its Markdown structure, its numbers and the facts an eval plan needs from it."""
