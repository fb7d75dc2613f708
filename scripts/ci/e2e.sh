#!/usr/bin/env bash
# The real-n8n suites on a fresh machine: installs Debian's Chromium, Redis and PostgreSQL and the
# pinned n8n (+ Node 24) into the cache folder when missing, packs the package once, then runs the
# e2e, browser, compat, queue-mode and chaos suites and prints the wall time of each part. Expects `npm ci`.
#
#   bash scripts/ci/e2e.sh                 all five suites
#   bash scripts/ci/e2e.sh e2e browser     only these
set -uo pipefail
cd "$(dirname "$0")/../.."

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(e2e browser compat queue chaos)
wants() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

declare -a report=()
failed=0
timed() { # timed <label> <command…>
	local label=$1; shift
	local start=$SECONDS
	echo "=== $label"
	"$@"
	local rc=$?
	report+=("$(printf '%-34s %4ss  %s' "$label" $((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
	[ $rc -eq 0 ] || failed=1
	return $rc
}

install_chromium() {
	command -v chromium >/dev/null 2>&1 && { echo "chromium already installed: $(command -v chromium)"; return 0; }
	[ "$(id -u)" -eq 0 ] || { echo "chromium is missing and this is not root: apt-get install -y chromium" >&2; return 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

install_queue_services() { # Debian's redis-server and postgresql for the queue-mode suite
	local missing=()
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
	[ ${#missing[@]} -eq 0 ] && { echo "redis-server and postgresql already installed"; return 0; }
	[ "$(id -u)" -eq 0 ] || { echo "missing ${missing[*]} and this is not root: apt-get install -y ${missing[*]}" >&2; return 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

pack() {
	mkdir -p .tmp
	npm run build --silent >/dev/null || return 1
	local dir; dir=$(mktemp -d)
	npm pack --silent --pack-destination "$dir" >/dev/null || return 1
	JLAB_LLM_TARBALL=$(ls "$dir"/*.tgz)
	export JLAB_LLM_TARBALL
	echo "packed $JLAB_LLM_TARBALL"
}

if wants browser; then timed "install: chromium (apt)" install_chromium; fi
if wants queue; then timed "install: redis, postgresql (apt)" install_queue_services; fi
if wants e2e || wants browser || wants queue || wants chaos; then timed "install: n8n 2.41.1 + Node 24 (cache)" node scripts/n8n/install.js; fi
if wants compat; then timed "install: n8n 2.8.4 (cache)" node scripts/n8n/install.js --oldest; fi
timed "build + npm pack" pack || { printf '%s\n' "${report[@]}"; exit 1; }

if wants e2e; then timed "e2e (n8n 2.41.1)" npx jest --selectProjects e2e --runInBand --ci --json --outputFile=.tmp/jest-e2e.json; fi
if wants browser; then timed "browser (Chromium, n8n 2.41.1)" npx jest --selectProjects browser --runInBand --ci --json --outputFile=.tmp/jest-browser.json; fi
if wants compat; then timed "compat (n8n 2.8.4, Node $(node -p process.versions.node))" npx jest --selectProjects compat --runInBand --ci --json --outputFile=.tmp/jest-compat.json; fi
if wants chaos; then timed "chaos + leak hunt (n8n 2.41.1)" npx jest --selectProjects chaos --runInBand --ci --json --outputFile=.tmp/jest-chaos.json; fi
if wants queue; then timed "queue (main + 2 workers, n8n 2.41.1)" npx jest --selectProjects queue --runInBand --ci --json --outputFile=.tmp/jest-queue.json; fi

rm -f "$JLAB_LLM_TARBALL"
echo
echo "=== wall time per part"
printf '%s\n' "${report[@]}"
exit $failed
