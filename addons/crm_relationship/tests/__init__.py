from . import test_security_groups
from . import test_scoring_maths
from . import test_relationship_score
from . import test_demo_generator
from . import test_customer_360
from . import test_shared_record_access
