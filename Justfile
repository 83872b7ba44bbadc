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

# Benchmarks.
bench:
    go test -run '^$' -bench . -benchmem ./...

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
