# packet-relay: `make run` and `make test` work on a fresh Debian machine (as root, or with sudo):
# they install what is missing, build and run.
SHELL := /bin/bash
JAR   := target/packet-relay.jar
MVN   := mvn -B -ntp
# memory: the process stays bounded whatever the traffic (see README, "Memory"); the Debian package's too
MEMORY_OPTS := -Xmx256m -XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError
JAVA_OPTS ?= $(MEMORY_OPTS)
# the Debian package's version: the project's, with ~ for - (0.1.0~SNAPSHOT sorts before 0.1.0)
DEB_VERSION := $(subst -,~,$(shell sed -n 's|^  <version>\(.*\)</version>$$|\1|p' pom.xml | head -n 1))
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test jar deb bench fuzz soak status deps test-deps clean

run: deps jar
	@echo "packet-relay: ingest server http://127.0.0.1:8000, management http://127.0.0.1:9876/observe/{health,metrics,jolokia}, spool ./logs"
	@echo "packet-relay: JMX over HTTP: /observe/jolokia (see README, Management); jconsole needs openjdk-17-jdk and a display; 'make status' for spool counts"
	java $(JAVA_OPTS) -jar $(JAR)

jar: $(JAR)

# target/packet-relay_<version>_all.deb (see README, "Install as a service"), built with dpkg-deb alone
deb: $(JAR)
	@packaging/build-deb.sh $(JAR) "$(DEB_VERSION)" "$(MEMORY_OPTS)" target

# spool counts (pending, processed, failed with reasons) and the last upload result
status: $(JAR)
	@java -jar $(JAR) status

$(JAR): pom.xml $(shell find src -type f 2>/dev/null) application.properties
	$(MVN) -q package -DskipTests

test: deps test-deps
	$(MVN) verify

# capture, decoder and upload benchmarks; the upload one posts to nginx when it is installed (a fast sink); the capture
# ones compare with tcpdump (and tcpreplay for live capture); BENCH_PREVIOUS_JAR=path compares capture with an earlier build
# (run with the routes/ folder beside that jar, if there is one).
# The upload bench runs an earlier build beside this one, pass by pass, and prints the ratios: UPLOAD_BASELINE is a git
# revision (default: the last one whose sender was a single Java processor), empty for none. It is built in target/baseline.
BENCH_PREVIOUS_JAR ?=
UPLOAD_BASELINE ?= 0d42a94
bench: deps test-deps
	@command -v nginx >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light || echo "no nginx: the upload bench uses a JDK sink"; }
	@command -v tcpdump >/dev/null && command -v tcpreplay >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq tcpdump tcpreplay; }
	@if [ -n "$(UPLOAD_BASELINE)" ]; then echo "building the upload baseline $(UPLOAD_BASELINE) in target/baseline"; \
	  rm -rf target/baseline && mkdir -p target/baseline && git archive $(UPLOAD_BASELINE) | tar -x -C target/baseline && \
	  (cd target/baseline && $(MVN) -q package -DskipTests); fi
	$(MVN) verify -Dsurefire.groups=bench -Dsurefire.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.skip=true \
	  -Dbench.previous-jar=$(BENCH_PREVIOUS_JAR) $(if $(UPLOAD_BASELINE),-Dbench.upload.baseline=$(CURDIR)/target/baseline)

# coverage-guided fuzzing of the decoder (Jazzer) for FUZZ_TIME seconds; make test runs the same for 45 s.
# Findings: target/fuzz/crashes/ (see README, "Fuzzing"); what it learnt stays in target/fuzz/corpus for the next run
FUZZ_TIME ?= 600
fuzz: deps
	$(MVN) test -Dtest=DecoderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.time=$(FUZZ_TIME)

# soak: all roles in one process capture loopback traffic replayed by tcpreplay for SOAK_MINUTES at SOAK_PPS
# packets/s while the receiver route is stopped and started; checks exactly-once storage, RSS, fds, threads
SOAK_MINUTES ?= 10
SOAK_PPS ?= 12000
soak: deps test-deps
	@command -v tcpreplay >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq tcpreplay; }
	$(MVN) verify -Dit.test=SoakIT -Dtest=NoUnitTests -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dsurefire.groups=soak -Dsurefire.excludedGroups=none -Dfuzz.skip=true -Dsoak.minutes=$(SOAK_MINUTES) -Dsoak.pps=$(SOAK_PPS)

# system packages: Java 17 + Maven (the build), libpcap (capture); apt-get update only when something is missing
deps:
	@need=""; \
	command -v java >/dev/null || need="$$need openjdk-17-jdk-headless"; \
	command -v mvn >/dev/null || need="$$need maven"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q 'libpcap\.so' || need="$$need libpcap0.8"; \
	if [ -n "$$need" ]; then echo "installing:$$need"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need; fi

# what the tests use besides: tshark (independent dissector), ping (ICMP traffic), iproute2, systemd-analyze (the
# package's units are verified), adduser (the package's postinst, run in a throwaway root), PostgreSQL 15 (the
# tests run their own server with initdb and pg_ctl: the package's own cluster is stopped if its install started
# it, and not started at boot); dpkg-deb, setpriv, unshare and nsenter are on every Debian machine; promtool
# (checks /observe/metrics) taken out of Debian's prometheus package without installing a Prometheus server
PG_BIN := /usr/lib/postgresql/15/bin
PROMTOOL := .tools/promtool
test-deps: $(PROMTOOL)
	@need=""; \
	command -v tshark >/dev/null || need="$$need tshark"; \
	command -v ping >/dev/null || need="$$need iputils-ping"; \
	command -v ip >/dev/null || need="$$need iproute2"; \
	command -v systemd-analyze >/dev/null || need="$$need systemd"; \
	[ -x /usr/sbin/adduser ] || need="$$need adduser"; \
	[ -x $(PG_BIN)/initdb ] || need="$$need postgresql"; \
	if [ -n "$$need" ]; then echo "installing:$$need"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need; \
	  case "$$need" in *postgresql*) \
	    for c in $$(pg_lsclusters -h 2>/dev/null | awk '$$4 == "online" { print $$1 "/" $$2 }'); do \
	      $(SUDO) pg_ctlcluster $${c%/*} $${c#*/} stop; done; \
	    for f in /etc/postgresql/*/*/start.conf; do [ -f "$$f" ] && echo manual | $(SUDO) tee "$$f" >/dev/null; done;; \
	  esac; fi

$(PROMTOOL):
	@tmp=$$(mktemp -d) && cd $$tmp && \
	{ apt-get download -qq prometheus 2>/dev/null || { $(SUDO) apt-get update -qq && apt-get download -qq prometheus; }; } && \
	dpkg -x prometheus_*.deb x && install -D -m 755 x/usr/bin/promtool $(CURDIR)/$(PROMTOOL) && cd / && rm -rf $$tmp
	@$(PROMTOOL) --version | head -1

clean:
	$(MVN) -q clean
