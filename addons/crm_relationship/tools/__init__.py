from . import demo_generator
