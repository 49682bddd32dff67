"""The book's four downstream services, one aiohttp app each."""
