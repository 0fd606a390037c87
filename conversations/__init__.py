"""The channel-agnostic conversation: questions, flow, templates and storage."""
