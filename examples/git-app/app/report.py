"""The timer's job: records when it ran and which commit is deployed."""
import os
import subprocess
import sys
import time
from pathlib import Path

out = Path(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
# the checkout belongs to root and this job runs as the app's user: git wants it named safe
commit = subprocess.run(["git", "-c", f"safe.directory={here}", "-C", here, "rev-parse", "--short", "HEAD"],
                        capture_output=True, text=True).stdout.strip()
tmp = out.with_suffix(".tmp")
tmp.write_text(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {commit}\n")
tmp.replace(out)
