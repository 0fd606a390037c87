"""The Telegram adapter (aiogram)."""
