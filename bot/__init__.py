"""Dandong: answers about China–North Korea relations from a sourced knowledge base."""
