from . import crm_stored_report_mixin
from . import crm_cohort_report
from . import crm_churn_report
