package account

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"linli/internal/apperr"
	"linli/internal/platform/clock"
)

// Tokens issues and checks bearer tokens (HS256 JWTs whose subject is the
// user ID). Roles are not in the token: they are read fresh (see Actors), so
// that a staff deactivation takes effect without waiting for expiry.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	clock  clock.Clock
}

// NewTokens returns a token issuer.
func NewTokens(secret []byte, ttl time.Duration, c clock.Clock) *Tokens {
	return &Tokens{secret: secret, ttl: ttl, clock: c}
}

const issuer = "linli"

// Issue returns a token for userID and when it expires.
func (t *Tokens) Issue(userID string) (string, time.Time, error) {
	now := t.clock.Now()
	exp := now.Add(t.ttl)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   userID,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	})
	s, err := tok.SignedString(t.secret)
	return s, exp, err
}

// Parse checks a token and returns its user ID: TOKEN_EXPIRED or
// TOKEN_INVALID otherwise.
func (t *Tokens) Parse(token string) (string, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.clock.Now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", apperr.ErrTokenExpired.New()
	case err != nil:
		return "", apperr.ErrTokenInvalid.Wrap(err)
	case claims.Subject == "":
		return "", apperr.ErrTokenInvalid.New()
	}
	return claims.Subject, nil
}
