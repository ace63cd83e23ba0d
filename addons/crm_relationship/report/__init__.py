from . import crm_relationship_tier_change
from . import crm_winback_report
from . import crm_complaint_sla_report
from . import crm_survey_report
from . import crm_survey_summary
from . import crm_tier_service_report
from . import crm_next_action_uplift
