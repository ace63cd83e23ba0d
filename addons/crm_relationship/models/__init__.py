from . import crm_relationship_scoring_profile
from . import crm_relationship_score
from . import crm_relationship_score_history
from . import crm_relationship_score_queue
from . import account_move
from . import stock_picking
from . import res_company
from . import res_partner
