"""Glossary: every term of the course in English and Chinese, its definition, and the part that teaches it."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import GLOSSARY

require_entry_point()
lesson_page(GLOSSARY)
