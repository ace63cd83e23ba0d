from . import test_kpi_maths
from . import test_scorecard
from . import test_scorecard_access
from . import test_scorecard_export
from . import test_kpi_catalogue
from . import test_clv_maths
from . import test_clv_fit
from . import test_cohorts
