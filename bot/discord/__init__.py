"""Dandong on Discord: client.py (the bot), commands.py (slash commands and syncing),
views.py (buttons), render.py (pure: Answer -> embeds), run.py (serve and sync).

Nothing is imported here, so `bot.discord.render` stays importable without discord.py.
"""
