from . import test_kpi_maths
