from . import crm_handoff_refuse
from . import res_partner_lost
from . import loyalty_card_update_balance
from . import sale_order_hold_release
from . import crm_next_action_dismiss
from . import crm_relationship_score_mailing
