"""Read tripleo-repos commands with tripleo-repos' own argument parser and argument checks,
without fetching or writing any repository.

Input: a JSON list of argv lists on stdin (each starting with "tripleo-repos").
Output: a JSON list, one {"distro", "branch", "repos"} (or {"error"}) per command.
"""
import contextlib
import io
import json
import sys

from tripleo_repos import main as tripleo_repos

results = []
for argv in json.load(sys.stdin):
    sys.argv = argv
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = tripleo_repos._parse_args()
            tripleo_repos._validate_args(args)
        results.append({"distro": args.distro, "branch": args.branch, "repos": args.repos})
    except SystemExit:
        results.append({"error": stderr.getvalue().strip().splitlines()[-1]})
    except tripleo_repos.InvalidArguments as exc:
        results.append({"error": str(exc)})
print(json.dumps(results))
