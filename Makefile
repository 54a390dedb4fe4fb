# `make lab` builds the default lab on this machine; `make test` runs every test.
# Both do all the set-up first (packages, .venv, daemons where systemd is not PID 1).
VENV   := .venv
BIN    := $(VENV)/bin
INV    ?= inventories/default
ARGS   ?=
# molecule and ansible-lint call ansible-config, ansible-playbook... by name.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup daemons lab teardown test unit sanity integration fault slow molecule lint bench

setup:
	scripts/setup

daemons: setup
	scripts/start-daemons

lab: daemons
	$(BIN)/ansible-playbook site.yml -i $(INV) $(ARGS)

teardown: daemons
	$(BIN)/ansible-playbook playbooks/teardown.yml -i $(INV) $(ARGS)

unit: setup
	$(BIN)/pytest tests/unit -q

# ansible-test sanity and units, on a copy of the checkout laid out as ansible_collections/labkit/tripleo.
sanity: setup
	$(BIN)/python tests/sanity/run.py

lint: setup
	$(BIN)/ansible-lint --profile production

integration: daemons
	$(BIN)/pytest tests/integration -q -m "not slow"

# A lab edited, killed and attacked on the real host; prints faults and inputs survived/refused.
fault: daemons
	cd tests/fault && ../../$(BIN)/pytest -q -p no:cacheprovider .

# Longer real runs (two nodes through the whole bare-metal life cycle at once).
slow: daemons
	$(BIN)/pytest tests/integration -q -m slow

molecule: daemons
	$(BIN)/molecule test

test: unit sanity lint integration fault molecule

bench: daemons
	$(BIN)/python bench/host_build.py $(ARGS)
	$(BIN)/python bench/bmc_types.py
	$(BIN)/python bench/snapshots.py
	tests/ironic/setup
	$(BIN)/python bench/bare_metal.py
