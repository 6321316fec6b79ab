"""The score of the last `mutmut run` and the mutants that survived it.

mutmut keeps its results under mutants/; `mutmut export-cicd-stats` sums them
into mutants/mutmut-cicd-stats.json, read here. Survivors are listed by name:
`mutmut show NAME` prints the change, `mutmut apply NAME` writes it to disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STATS = Path("mutants") / "mutmut-cicd-stats.json"
MUTMUT = Path(sys.executable).with_name("mutmut")


def main() -> int:
    subprocess.run([str(MUTMUT), "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(STATS.read_text())
    judged = stats["total"] - stats["skipped"] - stats["no_tests"]
    killed = stats["killed"] + stats["timeout"]
    results = subprocess.run(
        [str(MUTMUT), "results"], check=True, capture_output=True, text=True
    ).stdout
    survivors = [line.strip() for line in results.splitlines() if line.strip()]
    print("\n".join(survivors))
    print(
        f"Python mutants killed: {killed} of {judged} ({stats['timeout']} by timeout); "
        f"{stats['no_tests']} reached by no test, {stats['survived']} survived"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
