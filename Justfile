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

# Benchmarks: the load targets (inbox, fan-out, footprint; see BENCHMARKS.md), then the page
# benchmarks, then one table of every figure they reported. Takes several minutes: the page
# benchmarks first build a 100,000-post dataset.
bench:
    #!/usr/bin/env bash
    set -euo pipefail
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    go test ./server/ -run '^$' -bench 'Load' -benchtime 1x -timeout 30m | tee "$out"
    go test ./server/ -run '^$' -bench 'Page|Permalink' -benchtime 200x -benchmem | tee -a "$out"
    echo
    printf '%-46s %14s  %s\n' benchmark value unit
    awk '/^Benchmark/ { for (i = 3; i < NF; i += 2) printf "%-46s %14s  %s\n", $1, $i, $(i+1) }' "$out"

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
