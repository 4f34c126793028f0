// Package qrscan reads a plain QR code from a PNG as a phone would, for
// tests. Only test files import it, so it and its QR decoder are never
// built into the product.
package qrscan

import (
	"bytes"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Scene decodes body, a PNG of a plain QR code, and answers the scene of
// the page it opens; the test fails unless it reads as page?scene=….
func Scene(t testing.TB, body []byte, page string) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The image is a code alone on a white margin, as generated (not a
	// photograph): the pure-barcode reader samples its modules directly. The
	// general detector, looking for the finder patterns, misreads about one
	// generated code in a hundred (CI once failed on it).
	pure := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, pure)
	if err != nil {
		t.Fatalf("the QR code does not read: %v", err)
	}
	p, query, ok := strings.Cut(res.GetText(), "?")
	q, err := url.ParseQuery(query)
	if !ok || err != nil || p != page || q.Get("scene") == "" {
		t.Fatalf("the QR code says %q, want %s?scene=…", res.GetText(), page)
	}
	return q.Get("scene")
}
