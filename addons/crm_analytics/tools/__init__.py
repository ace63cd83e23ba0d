from . import clv
from . import kpi
