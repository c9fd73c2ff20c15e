"""Type stubs of the extension module (src/yoloq_module.cpp); use the functions of ``yoloq``."""
from typing import Any, List, Sequence, Tuple

def run(args: Sequence[str], arrays: Sequence[Tuple[str, Any]], capture_stdout: bool) -> Tuple[int, str, str, str, int]:
    """Runs ``args`` (program name first) as the yoloq CLI does; ``arrays`` are (input name or "",
    C-contiguous array) pairs used as calibration data in place. Returns (exit code, error line,
    captured stdout, the command's result as JSON or "", the signal that interrupted it or 0)."""

def version() -> str: ...
