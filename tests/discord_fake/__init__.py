"""A stand-in for Discord (REST API and gateway) that the real discord.py client talks to in
tests, plus fixtures, a scripted answering function and a helper running the bot against it."""
