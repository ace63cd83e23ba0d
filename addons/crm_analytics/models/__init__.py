from . import crm_kpi
from . import crm_scorecard
from . import crm_scorecard_line
from . import crm_kpi_value
from . import crm_scorecard_alert
from . import digest_digest
from . import res_partner
from . import stock_picking
