# Stand-in for pip's get-pip.py, which ansible-test downloads from ci-files.testing.ansible.com (not
# reachable from every lab machine): pip from the interpreter's own ensurepip, then the pip version
# ansible-test asks for from the configured package index. Installed by tests/sanity/run.
import ensurepip
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# get-pip.py options that pip install itself does not know.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# ansible-test runs this without the caller's environment: tests/sanity/run writes the CA bundle
# the caller's pip uses (PIP_CERT) here when it installs this file.
CERT = None
cert_args = ["--cert", CERT] if CERT else []
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + cert_args + args))
