"""What the PySpark tests and the benchmarks that drive Spark Connect servers share:
free ports, waiting for a server to listen, and comparing rows with the reference
answers. Standard library only (the benchmarks run without pytest)."""

import csv
import socket
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the server exited with status {proc.returncode}: {detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server listening on port {port} after {seconds} s")


def cell_text(v):
    """A PySpark value as the reference answers write it."""
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def cells_match(expected, actual):
    """Equal text, or numbers within 1e-6 relative, or `actual` within one unit of
    the last decimal `expected` prints (answers keep decimals at their scale)."""
    e, a = expected.strip(), actual.strip()
    if e == a:
        return True
    try:
        x, y = float(e), float(a)
    except ValueError:
        return e.lower() == a.lower() and e.lower() in ("true", "false")
    if abs(x - y) <= max(1e-6 * max(abs(x), abs(y)), 1e-9):
        return True
    for text in (e, a):
        if "." in text and "e" not in text.lower():
            places = len(text.split(".", 1)[1])
            if places >= 2 and abs(x - y) <= 10.0 ** -places:
                return True
    return False


def read_answer(path):
    """The rows of an answer file (CSV, header row first) as text; a one-column row
    holding NULL is written as an empty line."""
    with open(path, newline="") as f:
        return [r if r else [""] for r in csv.reader(f)][1:]


def rows_mismatch(expected, actual):
    """None when the rows of text `actual` match `expected` in order, cell by cell
    (`cells_match`), else a one-line reason."""
    if len(actual) != len(expected):
        return f"{len(actual)} rows, expected {len(expected)}"
    for i, (exp, row) in enumerate(zip(expected, actual)):
        if len(exp) != len(row):
            return f"row {i + 1}: {row} has {len(row)} columns, expected {len(exp)} ({exp})"
        for j, (e, a) in enumerate(zip(exp, row)):
            if not cells_match(e, a):
                return f"row {i + 1}, column {j + 1}: {a!r}, expected {e!r}"
    return None
