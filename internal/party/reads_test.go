package party_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"linli/internal/party"
	"linli/internal/platform/csvx"
)

// The figures and the roster file each read their community once per
// request (its scope and its name come from the same read), whether the
// community is named or is the staff member's only one.
func TestStatsAndRosterReadTheCommunityOnce(t *testing.T) {
	w := newOutboxWorld(t)
	ctx := context.Background()
	svc := w.env.App.Party
	reads := svc.CountCommunityReads()
	for _, id := range []string{w.street.A.CommunityID, ""} {
		before := reads()
		st, err := svc.Stats(ctx, w.staffA, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Community.ID != w.street.A.CommunityID || st.Community.Name == "" {
			t.Fatalf("stats of %+v, want community A named", st.Community)
		}
		if n := reads() - before; n != 1 {
			t.Fatalf("stats (community %q) read the community %d times, want once", id, n)
		}

		before = reads()
		var buf bytes.Buffer
		var name csvx.Filename
		err = svc.WriteRoster(ctx, w.staffA, party.RosterQuery{CommunityID: id}, func(f csvx.Filename) *csvx.Writer {
			name = f
			return csvx.NewWriter(&buf)
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(name.Name, st.Community.Name) || buf.Len() == 0 {
			t.Fatalf("roster file %q (%d bytes), want the community's name and a header", name.Name, buf.Len())
		}
		if n := reads() - before; n != 1 {
			t.Fatalf("roster (community %q) read the community %d times, want once", id, n)
		}
	}
}
