// Package fieldcrypt protects personal fields at rest (a Party member's
// phone number): AES-256-GCM for the value, and a keyed hash (HMAC-SHA256)
// so that a value can be looked up without being decrypted. Both keys are
// derived from one configured 32-byte key (LINLI_FIELD_KEY), so that every
// process encrypts and hashes alike. Other purposes (signing check-in
// codes) derive keys of their own with Derive, never reusing these.
package fieldcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of the configured key.
const KeySize = 32

// prefix marks the format of a sealed value, so that a later key or
// algorithm can be told apart.
const prefix = "v1:"

// Box seals and opens fields and hashes them for look-ups.
type Box struct {
	aead cipher.AEAD
	mac  []byte
	root []byte
}

// ParseKey reads a key given as standard base64 of KeySize bytes.
func ParseKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return nil, fmt.Errorf("fieldcrypt: the key must be base64 of %d bytes", KeySize)
	}
	return b, nil
}

// NewKey returns a fresh random key, base64-encoded (for embedded mode and
// for an operator: `openssl rand -base64 32` does the same).
func NewKey() (string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// New returns a box over key (KeySize bytes).
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("fieldcrypt: key of %d bytes, want %d", len(key), KeySize)
	}
	root := append([]byte(nil), key...)
	block, err := aes.NewCipher(derive(root, "linli/field/encrypt"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, mac: derive(root, "linli/field/lookup"), root: root}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Derive returns a 32-byte key for another purpose, named by label
// ("linli/party/checkin-code"): independent of the field keys.
func (b *Box) Derive(label string) []byte { return derive(b.root, label) }

// Seal encrypts plain; the empty string stays empty (nothing to protect).
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrOpen is a sealed value that this key cannot open (another key, or
// altered).
var ErrOpen = errors.New("fieldcrypt: cannot open the value")

// Open decrypts what Seal returned.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || !strings.HasPrefix(sealed, prefix) || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// Hash is the keyed hash of plain, equal for equal values under one key:
// what a look-up filters on. Empty stays empty.
func (b *Box) Hash(plain string) string {
	if plain == "" {
		return ""
	}
	m := hmac.New(sha256.New, b.mac)
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil))
}
