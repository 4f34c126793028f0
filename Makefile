.PHONY: run test test-norace ci bench
run:
	go run ./cmd/linli
test:
	go test -race ./...
test-norace:
	go test ./...
ci:
	bash .ci/run
bench:
	go test -run '^$$' -bench . -benchtime 2s ./...
