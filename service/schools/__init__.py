"""Schools of a platform: each has a public help page reached by a short link and a QR code."""
