from . import crm_handoff_refuse
