"""Runs ``ansible-test sanity`` and ``ansible-test units`` on this checkout.

ansible-test only works inside a tree laid out as ``ansible_collections/<namespace>/<name>``;
this checkout is the collection but not so placed, so the files git knows (tracked, or new
and not ignored) are copied to such a tree in the temporary directory first (outside the checkout,
where neither ansible-lint nor pytest would find a second copy). The
``collections/`` link that makes the checkout runnable in place is left out, as
``ansible-galaxy collection build`` leaves it out (galaxy.yml build_ignore).

Usage: python tests/sanity/run.py [sanity|units]...   (both when none is named)
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = "%d.%d" % sys.version_info[:2]
TREE = Path(tempfile.gettempdir()) / "labkit-ansible-test" / "ansible_collections" / "labkit" / "tripleo"
LEFT_OUT = ("collections/",)


def checkout_files():
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True).stdout.decode()
    return [f for f in listing.split("\0") if f and not f.startswith(LEFT_OUT) and (ROOT / f).exists()]


def copy_tree():
    if TREE.exists():
        shutil.rmtree(TREE)
    for name in checkout_files():
        target = TREE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    # ansible-test lists a collection's files through git when it is a repository.
    git = ["git", "-c", "user.name=sanity", "-c", "user.email=sanity@invalid"]
    subprocess.run(git + ["init", "-q"], cwd=TREE, check=True)
    subprocess.run(git + ["add", "-A"], cwd=TREE, check=True)


def install_pip_standin():
    """Puts the get-pip stand-in where ansible-test looks before it downloads one."""
    import ansible_test
    source = (Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    version = re.search(r"pip='([0-9.]+)'", source).group(1)
    cache = Path.home() / ".ansible" / "test" / "cache" / ("get_pip_%s.py" % version.replace(".", "_"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    standin = (ROOT / "tests" / "sanity" / "get_pip_standin.py").read_text()
    cert = os.environ.get("PIP_CERT")
    if cert:
        standin = standin.replace("\nCERT = None\n", "\nCERT = %r\n" % cert)
    cache.write_text(standin)


def main(commands):
    copy_tree()
    install_pip_standin()
    status = 0
    for command in commands or ["sanity", "units"]:
        argv = [str(BIN / "ansible-test"), command, "--venv", "--python", PYTHON, "--color", "no"]
        print("+", " ".join(argv), flush=True)
        status |= subprocess.run(argv, cwd=TREE, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
