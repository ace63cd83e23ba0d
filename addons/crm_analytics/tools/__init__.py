from . import kpi
