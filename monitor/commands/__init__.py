"""``portalwatch`` subcommands, grouped by the user task they serve."""
