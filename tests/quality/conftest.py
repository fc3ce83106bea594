"""The quality tests sign owners in as the view tests do."""
from tests.views.conftest import fresh_signin_counts, member  # noqa: F401
