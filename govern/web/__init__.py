"""Cross-cutting web pieces: the home page, navigation, template helpers, access decorators."""
