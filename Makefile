.PHONY: run test ci bench
run:
	go run ./cmd/linli
test:
	go test -race ./...
ci:
	bash .ci/run
bench:
	go test -run '^$$' -bench . -benchtime 2s ./...
