"""What an advisor code may be, for every channel (the web link ``/?advisor=CODE``, Telegram's
``/start CODE`` deep link, the REST API's ``advisor_code`` and ``megaroth advisor add --code``):
1 to 64 ASCII letters, digits, ``-`` and ``_``. Anything else (other scripts' letters, circled
digits, spaces) is refused everywhere alike.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ADVISOR_CODE_MAX", "ADVISOR_CODE_PATTERN", "is_advisor_code"]

ADVISOR_CODE_MAX: Final = 64
#: The rule as a regular expression (also published in the REST API's schema).
ADVISOR_CODE_PATTERN: Final = rf"^[A-Za-z0-9_-]{{1,{ADVISOR_CODE_MAX}}}$"
_CODE: Final = re.compile(ADVISOR_CODE_PATTERN)


def is_advisor_code(text: str) -> bool:
    """``text`` is a well-formed advisor code (whether an advisor holds it is another matter)."""
    return _CODE.fullmatch(text) is not None
