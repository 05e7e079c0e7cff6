"""The home page of each audience after a launch, and the language switch."""
