"""The versioned rule set (data) and its loader."""
