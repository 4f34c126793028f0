package clock

import (
	"reflect"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsoncodec"
	"go.mongodb.org/mongo-driver/bson/bsonrw"
)

// MongoDB stores instants without a zone and the driver decodes them as UTC.
// The API shows every time with the +08:00 offset (DESIGN.md §3), so times
// read from the database are put in China's zone as they are decoded, for
// the real driver and lungo alike (both decode with bson.DefaultRegistry).
func init() {
	base := bsoncodec.NewTimeCodec()
	tt := reflect.TypeOf(time.Time{})
	bson.DefaultRegistry.RegisterTypeDecoder(tt, bsoncodec.ValueDecoderFunc(
		func(dc bsoncodec.DecodeContext, vr bsonrw.ValueReader, val reflect.Value) error {
			if err := base.DecodeValue(dc, vr, val); err != nil {
				return err
			}
			t := val.Interface().(time.Time)
			if !t.IsZero() {
				val.Set(reflect.ValueOf(t.In(China)))
			}
			return nil
		}))
}
