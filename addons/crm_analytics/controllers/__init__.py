from . import main
from . import cohort
