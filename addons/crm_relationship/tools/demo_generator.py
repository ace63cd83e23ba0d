class DemoDataGenerator:
    """Placeholder: the shared demo-data generator lands in the next commit."""
