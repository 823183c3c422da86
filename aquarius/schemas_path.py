"""Where the schema files are. `aquarius/schemas` links to the repository's `schemas/` folder and a built
package carries the files themselves there, so one path serves a checkout, an editable and a regular install."""

from __future__ import annotations

from pathlib import Path

SCHEMAS_DIR = Path(__file__).parent / "schemas"
DDO_SCHEMA_DIR = SCHEMAS_DIR / "ddo"
ASSET_MAPPING_FILE = SCHEMAS_DIR / "elasticsearch" / "assets.json"
