.PHONY: run test race ci bench
run:
	go run ./cmd/linli
test:
	go test ./...
race:
	go test -race ./...
ci:
	bash .ci/run
bench:
	go test -run '^$$' -bench . -benchtime 2s ./...
