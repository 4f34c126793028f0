package message

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
)

// OverdueNow counts the messages whose running clock is past due now: what
// the operators' linli_messages_overdue gauge shows. SortDueAt is the
// deadline that matters now, and Never when no clock runs, so one range on
// its own index (overdue_now) counts them without reading a document.
func (s *Service) OverdueNow(ctx context.Context) (int64, error) {
	return s.store.messages.CountDocuments(ctx, bson.M{"sortDueAt": bson.M{"$lt": s.clock.Now()}})
}
