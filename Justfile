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
