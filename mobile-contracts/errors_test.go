package contracts

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"linli/handlers"
	_ "linli/internal/app" // every area's codes are declared once its package is loaded
	"linli/internal/apperr"
)

type catalogueEntry struct {
	Code    string `json:"code"`
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// TestErrorCatalogue holds errors.json to the codes the server can answer:
// a code added, changed or removed in the code base fails until the
// catalogue says the same (go test ./mobile-contracts -update).
func TestErrorCatalogue(t *testing.T) {
	var entries []catalogueEntry
	for _, d := range apperr.Catalogue() {
		entries = append(entries, catalogueEntry{Code: d.Code, Status: handlers.StatusOf(d.Kind), Message: d.Message})
	}
	got, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile("errors.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("errors.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("errors.json differs from the codes declared in the code base (go test ./mobile-contracts -update):\n%s", got)
	}
	for _, e := range entries {
		if e.Status == 0 || e.Message == "" {
			t.Errorf("code %s has no status or message", e.Code)
		}
	}
}
