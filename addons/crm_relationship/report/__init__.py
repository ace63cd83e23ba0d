from . import crm_relationship_tier_change
