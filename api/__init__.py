"""The aiohttp application serving the Aquarius REST API from the store."""
