from . import crm_cohort_report
from . import crm_churn_report
