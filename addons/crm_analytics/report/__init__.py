from . import crm_cohort_report
