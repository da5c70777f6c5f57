"""Files the Generate page offers: the regeneration snippet and the model + recipe zip."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any


def snippet(n: int, codes: dict[str, Any], condition: Any, seed: int) -> str:
    """Five lines of Python that make exactly these rows again from the zip's model folder."""
    return (
        "import gen_models\n"
        'model = gen_models.load("model")\n'
        f"rows = model.sample({n}, codes={codes!r}, condition={condition!r}, seed={seed})\n"
        'gen_models.write_csv(rows, "rows.csv")  # cells starting with = + - @ get a leading \' (keep_formulas=True)\n'
        'print(f"Wrote {len(rows)} rows to rows.csv")\n'
    )


def bundle(model_dir: Path, n: int, codes: dict[str, Any], condition: Any, seed: int) -> bytes:
    """A zip: the model directory, the settings (seed included) and the snippet that regenerates the rows."""
    buffer = io.BytesIO()
    settings = {"rows": n, "codes": codes, "condition": condition, "seed": seed}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("model.json", "weights.safetensors", "MODEL_CARD.md"):
            if (model_dir / name).is_file():
                archive.write(model_dir / name, arcname=f"model/{name}")
        archive.writestr("settings.json", json.dumps(settings, indent=1, default=str))
        archive.writestr("regenerate.py", snippet(n, codes, condition, seed))
    return buffer.getvalue()
