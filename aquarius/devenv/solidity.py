"""Compiles the project's own test contracts with solc-js (npm `solc`), caching the output by source hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from aquarius.devenv.ports import project_root

CONTRACTS = Path(__file__).parent / "contracts"


def compile_contract(name: str) -> dict[str, Any]:
    """{"abi": [...], "bytecode": "0x..."} of `contracts/<name>.sol`."""
    source = (CONTRACTS / f"{name}.sol").read_text()
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    cache = project_root() / ".cache" / "solc" / f"{name}-{digest}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    solc_input = {
        "language": "Solidity",
        "sources": {f"{name}.sol": {"content": source}},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    script = (
        "const solc=require('solc');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "process.stdout.write(solc.compile(s)));"
    )
    out = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(solc_input),
        capture_output=True,
        text=True,
        check=True,
        cwd=project_root(),
    )
    result = json.loads(out.stdout)
    errors = [e for e in result.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "\n".join(e["formattedMessage"] for e in errors))
    contract = result["contracts"][f"{name}.sol"][name]
    compiled = {"abi": contract["abi"], "bytecode": "0x" + contract["evm"]["bytecode"]["object"]}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(compiled))
    return compiled
