from __future__ import annotations

import json
import logging

from aquarius.logs import JsonFormatter


def test_json_lines_carry_the_structured_fields() -> None:
    record = logging.LogRecord("aquarius.progress", logging.INFO, __file__, 1, "chain %s at %s", (8996, 12), None)
    record.chain_id = 8996
    record.eta_s = 4
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "chain 8996 at 12"
    assert line["level"] == "info"
    assert line["logger"] == "aquarius.progress"
    assert (line["chain_id"], line["eta_s"]) == (8996, 4)
    assert line["time"].endswith("+00:00")
