from . import crm_relationship_tier_change
from . import crm_winback_report
