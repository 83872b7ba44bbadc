package deletion_test

import (
	"context"
	"testing"

	"roost/store"
	"roost/store/deletion"
	"roost/store/sqlite"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
)

// The wipe waits for the Delete: while one of its deliveries is queued, Wipe changes nothing;
// once none is, it empties the data, once.
func TestWipeWaitsForTheDelete(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Fresh(t, store.Open)
	ownertest.Create(t, st)
	d := deletion.New(st)
	const iri = "https://roost.example/users/me#delete"

	if _, ok, err := d.Wipe(ctx, iri); err != nil || ok {
		t.Fatalf("wipe before a deletion was asked for: ok %v, %v; want nothing done", ok, err)
	}
	out := &store.Outgoing{IRI: iri, Type: "Delete", Body: []byte(`{}`),
		Inboxes: []string{"https://a.example/inbox", "https://b.example/inbox"}}
	if err := st.RequestDeletion(ctx, out); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Wipe(ctx, iri); err != nil || ok {
		t.Fatalf("wipe with the Delete's two deliveries queued: ok %v, %v; want nothing done", ok, err)
	}
	if n := storetest.Count(t, st.DB().Reader(), `SELECT count(*) FROM deliveries`); n != 2 {
		t.Fatalf("%d deliveries after a refused wipe, want the Delete's 2", n)
	}
	if err := st.DB().Write(ctx, func(tx *sqlite.Tx) error { // the deliveries done, as the worker records them
		_, err := tx.ExecContext(ctx, `DELETE FROM deliveries`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Wipe(ctx, iri); err != nil || !ok {
		t.Fatalf("wipe once the Delete is delivered: ok %v, %v; want the data wiped", ok, err)
	}
	if _, wiped, err := d.Deletion(ctx); err != nil || wiped.IsZero() {
		t.Fatalf("deletion state after the wipe: wiped %v, %v", wiped, err)
	}
	if _, ok, err := d.Wipe(ctx, iri); err != nil || ok {
		t.Fatalf("a second wipe: ok %v, %v; want nothing done", ok, err)
	}
}
