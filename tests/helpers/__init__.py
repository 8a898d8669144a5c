"""Helpers shared by the page tests: reading the figures (``figures``) and the downloads (``downloads``) a page
shows, as the numbers and texts a student sees."""
