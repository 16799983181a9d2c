"""The shared chat loop: ChatSession, tool-call parsing, loop guard, context budget.

Used by the chat pane and the background runner alike; nothing here imports Textual.
"""
