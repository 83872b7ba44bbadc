package activitypub

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestMemberIsAsEncodingJSON checks memberIs against encoding/json itself: a member name selects
// a field exactly when json.Unmarshal would store the member's value in it.
func TestMemberIsAsEncodingJSON(t *testing.T) {
	names := []string{`"id"`, `"ID"`, `"Id"`, `"iD"`, `"\u0069d"`, `"\u0049\u0044"`, `"i\"d"`, `"idd"`, `"i"`,
		`""`, `"İd"`, `"ıd"`, `"id "`, `"\u0130d"`, `"ſtatus"`, `"\u017Ftatus"`, `"STATUS"`, `"ſtatuſ"`,
		`"statu\u212A"`, `"actor"`, `"ACTOR"`, `"actör"`, "\"\xffid\"", `"i\u0000d"`, `"\/id"`}
	for _, field := range []string{"id", "status", "actor", "statuk"} {
		for _, name := range names {
			doc := []byte(`{` + name + `:"x"}`)
			var got map[string]any
			if err := json.Unmarshal(doc, &got); err != nil {
				t.Fatalf("%s is not JSON: %v", doc, err)
			}
			var v struct {
				ID     string `json:"id"`
				Status string `json:"status"`
				Actor  string `json:"actor"`
				Statuk string `json:"statuk"`
			}
			json.Unmarshal(doc, &v)
			want := map[string]string{"id": v.ID, "status": v.Status, "actor": v.Actor, "statuk": v.Statuk}[field] == "x"
			if memberIs([]byte(name), field) != want {
				t.Errorf("memberIs(%s, %q) = %v; encoding/json says %v", name, field, !want, want)
			}
		}
	}
}

func TestDecodeEnvelopeAsDecodeActivity(t *testing.T) {
	// Each document is decoded both ways; the envelope must agree with the activity on every
	// property it has, or both must refuse.
	for _, doc := range []string{
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":"https://a.example/n"}`,
		`{"ID":"https://a.example/1","TYPE":"Create","Actor":"https://a.example/u","OBJECT":"https://a.example/n"}`,
		`{"\u0069d":"https://a.example/1","type":"Create","actor":"https://a.example/u"}`,
		// repeated members: the last wins, but a value of the wrong type is skipped
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","actor":"https://b.example/u"}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","ACTOR":"https://b.example/u"}`,
		`{"id":"https://a.example/1","id":5,"type":"Create","actor":"https://a.example/u"}`,
		`{"id":"https://a.example/1","id":null,"type":"Create","actor":"https://a.example/u"}`,
		`{"id":"https://a.example/1","type":"Create","type":["Like"],"actor":"https://a.example/u"}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","actor":null}`,
		`{"id":"https://a.example/1","type":"Create","actor":[{"type":"Group","id":"https://a.example/g"},{"type":"Person","id":"https://a.example/u"}]}`,
		`{"id":"https://a.example/1","type":"Create","actor":{"id":"https://a.example/u"},"object":{"id":"https://a.example/n","type":"Note"}}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"id":"https://a.example/n","id":"https://b.example/n"}}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u"} x`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u",}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","n":01}`,
		`{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","s":"\x"}`,
	} {
		a, err := DecodeActivity([]byte(doc))
		e, eerr := DecodeEnvelope([]byte(doc))
		if (err == nil) != (eerr == nil) {
			t.Errorf("%s: DecodeActivity: %v; DecodeEnvelope: %v", doc, err, eerr)
			continue
		}
		if err == nil && (e.ID != a.ID || e.Type != a.Type || e.Actor.ID != a.Actor.ID || e.ObjectID() != a.Object.ID) {
			t.Errorf("%s: envelope %q %q %q %q, activity %q %q %q %q", doc, e.ID, e.Type, e.Actor.ID, e.ObjectID(),
				a.ID, a.Type, a.Actor.ID, a.Object.ID)
		}
	}
}

// FuzzUnmarshalValid checks that unmarshalValid, which skips json.Unmarshal's own passes over a
// checked document, decodes every well-formed value into the same Activity, Object and Actor
// as json.Unmarshal (through unmarshalTolerant) does.
func FuzzUnmarshalValid(f *testing.F) {
	for _, name := range []string{"mastodon_create_note.json", "misskey_question.json", "mastodon_actor.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{` {"id":"x"} `, "\t[1]\n", `null`, `"x"`, `5`, `{"object":{"tag":[1,{"type":"Hashtag"}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		for _, mk := range []func() any{func() any { return new(Activity) }, func() any { return new(Object) },
			func() any { return new(Actor) }} {
			got, want := mk(), mk()
			gerr, werr := unmarshalValid(b, got), unmarshalTolerant(b, want)
			if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%T: unmarshalValid = %v, %+v; json.Unmarshal = %v, %+v", got, gerr, got, werr, want)
			}
		}
	})
}
