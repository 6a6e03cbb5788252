"""JSON-ready values for API answers, with the CLI's conventions (cli/common.jsonable): money
(Decimal) as a string with two decimals, days and times ISO, NaN and infinities as null.

The web layer may not import cli, so the rule is restated here over the same shared piece
(`storeops.core.money.money_str`); tests compare API answers with `storeops ... --json`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storeops.core.money import money_str


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
