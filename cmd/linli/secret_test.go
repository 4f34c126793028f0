package main

import (
	"os"
	"path/filepath"
	"testing"

	"linli/internal/platform/config"
)

// The generated JWT secret is written whole and kept: the second start
// reads the first's secret, the file is the owner's only, and no
// temporary file is left behind.
func TestGeneratedJWTSecretIsKept(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir}
	first, err := jwtSecret(cfg)
	if err != nil || len(first) < 32 {
		t.Fatalf("first: %q %v", first, err)
	}
	again, err := jwtSecret(cfg)
	if err != nil || string(again) != string(first) {
		t.Fatalf("second start: %q %v, want the first secret", again, err)
	}
	st, err := os.Stat(filepath.Join(dir, "jwt.secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jwt.secret.tmp")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left: %v", err)
	}
}
