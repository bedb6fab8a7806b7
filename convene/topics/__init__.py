"""Topics: proposals for the theme of a call, the network's votes, and the host's choice."""
