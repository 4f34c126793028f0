// Package media says which image addresses the product accepts. Photos are
// uploaded by the mini-program to storage of the community's; the server
// keeps only their https addresses, bounded in length.
package media

import "net/url"

// MaxURL is the longest image address accepted.
const MaxURL = 512

// ValidImageURL reports whether s is an acceptable image address: https,
// with a host, at most MaxURL bytes.
func ValidImageURL(s string) bool {
	if len(s) > MaxURL {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}
