# Roost tasks. `just` lists them.

default:
    @just --list

# Start a local instance on http://localhost:8080 (data in ./data).
run:
    go run . serve

# Run every test.
test:
    go test ./...

# Everything CI runs.
ci:
    bash .ci/run

# The issue's targets (inbox with `roost serve` as its own process, fan-out, footprint, pages
# at 1,000,000 posts), each run `count` times, then one table of the medians against the
# targets. BENCHMARKS.md has the commands one by one. Takes about 55 minutes with the default
# count of 3: each inbox run signs 361,000 requests, then replays them for 60 s
# (ROOST_BENCH_INBOX_SECONDS) as fast as the server answers over 64 and then 32 connections
# (throughput), then paced at 4,000 a second (latency at the target rate), each time to a fresh
# server, and waits for processing to catch up.
#
# Benchmarks against the targets, `count` runs each, and a table of the medians.
bench count="3":
    #!/usr/bin/env bash
    set -euo pipefail
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    # A failing benchmark does not stop the others: the table still prints, then the recipe fails.
    failed=0
    go test ./server/ -run '^$' -bench 'LoadInboxServe|LoadFanout|LoadFootprint' -benchtime 1x -count {{count}} -timeout 120m | tee "$out" || failed=1
    go test ./server/ -run '^$' -bench 'Page|Permalink' -benchtime 2000x -count {{count}} -timeout 60m | tee -a "$out" || failed=1
    echo
    awk '
    function target(k) {
        if (k ~ /LoadInboxServe.* peak-rss-MB/) return "< 64"
        if (k ~ /LoadInboxServe.* key-fetches/) return "= 1000"
        if (k ~ /LoadInboxServe.* p99-ms/) return "< 50"
        if (k ~ /LoadInboxServe.*rate=/) return ""
        if (k ~ /LoadInboxServe.* req\/s/) return ">= 4000"
        if (k ~ /LoadFanout.* live-s/) return "< 6"
        if (k ~ /LoadFootprint idle-rss-MB/) return "< 24"
        if (k ~ /LoadFootprint .*start-ms/ && k !~ /first|min/) return "< 100"
        if (k ~ /LoadFootprint .*(amd64|arm64)-MiB/) return "< 25"
        if (k ~ /(Page|Permalink) .*ns\/op/) return "< 2000000"
        return ""
    }
    function met(v, t,   op, n) {
        split(t, p, " "); op = p[1]; n = p[2] + 0
        if (op == ">=") return v >= n ? "met" : "MISSED"
        if (op == "<") return v < n ? "met" : "MISSED"
        if (op == "=") return v == n ? "met" : "MISSED"
    }
    /^Benchmark/ {
        name = $1; sub(/-[0-9]+$/, "", name)
        for (i = 3; i < NF; i += 2) {
            k = name " " $(i+1)
            if (!(k in count)) order[++keys] = k
            vals[k, ++count[k]] = $i
        }
    }
    END {
        printf "%-58s %14s  %-10s %s\n", "benchmark and unit (median of runs)", "value", "target", ""
        for (j = 1; j <= keys; j++) {
            k = order[j]; n = count[k]
            for (a = 1; a <= n; a++) v[a] = vals[k, a]
            for (a = 2; a <= n; a++) for (c = a; c > 1 && v[c-1] > v[c]; c--) { t = v[c]; v[c] = v[c-1]; v[c-1] = t }
            m = (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
            t = target(k)
            printf "%-58s %14s  %-10s %s\n", k, m, t, t == "" ? "" : met(m, t)
        }
    }' "$out"
    if [ "$failed" = 1 ]; then
        grep -A3 '^--- FAIL' "$out" >&2 || true
        echo "some benchmarks failed (above)" >&2
        exit 1
    fi

# Regenerate templ output.
generate:
    go tool templ generate

# Static, stripped release binaries for Linux in dist/: roost-linux-{amd64,arm64,armv7}.
release:
    mkdir -p dist
    CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "-s -w -X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)" -o dist/roost-linux-amd64 .
    CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -ldflags "-s -w -X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)" -o dist/roost-linux-arm64 .
    CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 go build -trimpath -ldflags "-s -w -X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)" -o dist/roost-linux-armv7 .
    ls -l dist
